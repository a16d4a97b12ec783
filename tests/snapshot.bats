#!/usr/bin/env bats
# Snapshot and restore: --snapshot-on-port, --snapshot-on-signal, kvmrun ctl
# PATH snapshot, and --restore. The guests (tests/guests/snap.inc) print a
# count and a checksum of the RAM they write: a restore that loses a register
# or a page prints other lines.
load helpers

setup() {
	F="$BATS_TEST_TMPDIR/vm.snap"
	S="$BATS_TEST_TMPDIR/ctl.sock"
	OUT="$BATS_TEST_TMPDIR/out"
	ERR="$BATS_TEST_TMPDIR/err"
	WANT="$BATS_TEST_TMPDIR/want"
	vm=
	# What an uninterrupted run prints: snap.inc's sums, computed here.
	python3 - > "$WANT" <<-'EOF'
		area = [0] * 1024
		prev = 0
		out = []
		for i in range(48):
		    k = (i * 7) & 1023
		    area[k] = (area[k] + i * 0x9e3779b1) & 0xffffffff
		    s = 0
		    for w in [i, prev] + area:
		        s = (((s << 5) | (s >> 27)) & 0xffffffff) ^ w
		    prev = s
		    out.append("%04x %08x\n" % (i, s))
		print("".join(out) + "done", end="\n")
	EOF
}

teardown() {
	if [ -n "$vm" ]; then kill -KILL "$vm" 2>/dev/null || true; fi
	if [ -n "${peer:-}" ]; then kill "$peer" 2>/dev/null || true; fi
}

# saved_line FILE: what a run that ends once saved says on stderr.
saved_line() {
	echo "kvmrun: saved to '$1'; the run ends (kvmrun --restore $1 resumes it)"
}

# lines_from N: the expected output from line N on (N counted from 0).
lines_from() {
	tail -n +"$(( $1 + 1 ))" "$WANT"
}

# is_suffix FILE: FILE is a nonempty tail of the expected output, byte for byte.
is_suffix() {
	python3 - "$WANT" "$1" <<-'EOF'
		import sys
		want, got = (open(p, "rb").read() for p in sys.argv[1:3])
		sys.exit(0 if got and want.endswith(got) else 1)
	EOF
}

start() {
	"$KVMRUN" --timeout "$(limit 60)" "$@" > "$OUT" 2> "$ERR" < /dev/null &
	vm=$!
}

finish() {
	vm_status=0
	wait "$vm" || vm_status=$?
	vm=
}

wait_lines() {
	local deadline=$(( $(date +%s) + $(limit 20) ))
	while [ "$(wc -l < "$OUT")" -lt "$1" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || { echo "# fewer than $1 lines after $(limit 20) s" >&2; return 1; }
		sleep 0.02
	done
}

wait_socket() {
	for _ in $(seq 400); do
		[ -S "$S" ] && return 0
		sleep 0.05
	done
	return 1
}

# ---- the guest's port ----

@test "port 0xf0, 1: saved and ended (real mode); the restore prints the rest, byte for byte" {
	need_kvm
	run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" --snapshot-on-port "$F" "$G/snap_end.bin"
	[ "$stderr" = "$(saved_line "$F")" ]
	echo "$output" > "$OUT"
	[ "$output" = "$(head -n 21 "$WANT")" ]
	timeout "$(limit 20)" "$KVMRUN" --restore "$F" >> "$OUT" 2> "$ERR"
	[ ! -s "$ERR" ]
	cmp "$OUT" "$WANT"
}

@test "port 0xf0, 1: protected and long mode" {
	need_kvm
	for m in prot long; do
		rm -f "$F"
		timeout "$(limit 20)" "$KVMRUN" -M "$( [ $m = prot ] && echo protected || echo long)" \
			--snapshot-on-port "$F" "$G/${m}_snap_end.bin" > "$OUT" 2> "$ERR"
		[ "$(cat "$ERR")" = "$(saved_line "$F")" ]
		timeout "$(limit 20)" "$KVMRUN" --restore "$F" >> "$OUT" 2> "$ERR"
		[ ! -s "$ERR" ]
		cmp "$OUT" "$WANT"
	done
}

@test "port 0xf0, 0: saved and going on; the restore starts after the OUT, and reads 1 at the port" {
	need_kvm
	timeout "$(limit 20)" "$KVMRUN" --snapshot-on-port "$F" "$G/snap_go.bin" > "$OUT" 2> "$ERR"
	[ ! -s "$ERR" ]
	cmp "$OUT" "$WANT"
	run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" --restore "$F"
	[ "$stderr" = "" ]
	[ "$output" = "$(lines_from 21)" ]
}

@test "the same snapshot restored five times: the same output each time" {
	need_kvm
	timeout "$(limit 20)" "$KVMRUN" --snapshot-on-port "$F" "$G/snap_end.bin" > /dev/null 2>&1
	for i in 1 2 3 4 5; do
		run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" --restore "$F"
		[ "$stderr" = "" ]
		[ "$output" = "$(lines_from 21)" ]
	done
}

@test "2 vCPUs (long mode, in-kernel irqchip): saved and restored, the AP waiting for SIPI" {
	need_kvm
	timeout "$(limit 20)" "$KVMRUN" -M long --cpus 2 --snapshot-on-port "$F" "$G/long_snap_end.bin" > "$OUT" 2> "$ERR"
	[ "$(cat "$ERR")" = "$(saved_line "$F")" ]
	timeout "$(limit 20)" "$KVMRUN" --restore "$F" >> "$OUT" 2> "$ERR"
	[ ! -s "$ERR" ]
	cmp "$OUT" "$WANT"
}

@test "2 and 4 vCPUs, all running: saved with the APs spinning (long_smp p); the restore counts and totals right" {
	need_kvm
	for n in 2 4; do
		rm -f "$F"
		run -0 --separate-stderr timeout "$(limit 60)" "$KVMRUN" -M long --cpus $n --append p \
			--snapshot-on-port "$F" "$G/long_smp.bin"
		[ "$stderr" = "$(saved_line "$F")" ]
		want_head=$(printf 'cpus=%02x\n' $n; for ((i = 1; i < n; i++)); do printf 'cpu %02x up\n' $i; done)
		[ "$output" = "$want_head" ]
		run -0 --separate-stderr timeout "$(limit 60)" "$KVMRUN" --restore "$F"
		[ "$stderr" = "" ]
		[ "$output" = "$(printf 'total=%08x' $((n * 100000)))" ]
	done
}

# (That writes to it are ignored then is hostile.bats's port sweep: every port written.)
@test "port 0xf0 without --snapshot-on-port is nobody's port: it reads 0xff, so the guest asks for no snapshot" {
	need_kvm
	run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" "$G/snap_end.bin"
	[ "$stderr" = "" ]
	[ "$output" = "$(cat "$WANT")" ]
}

@test "port 0xf0 with --snapshot-on-port: a value other than 0 or 1 is a guest fault" {
	need_kvm
	run -100 --separate-stderr timeout "$(limit 20)" "$KVMRUN" --snapshot-on-port "$F" "$G/snap_bad.bin"
	[ "${stderr_lines[0]}" = "kvmrun: guest fault: port 0xf0: 2 is neither 0 (snapshot) nor 1 (snapshot and end)" ]
}

# ---- SIGUSR1 and the control socket ----

@test "SIGUSR1 with --snapshot-on-signal: saved mid-run, the run goes on; the restore prints a tail" {
	need_kvm
	start --snapshot-on-signal "$F" "$G/snap_run.bin"
	wait_lines 2
	kill -USR1 "$vm"
	finish
	[ "$vm_status" = 0 ]
	[ ! -s "$ERR" ]
	cmp "$OUT" "$WANT"
	run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" --restore "$F"
	[ "$stderr" = "" ]
	echo "$output" > "$OUT"
	is_suffix "$OUT"
}

@test "ctl snapshot FILE --exit: saved and ended, status 0; original and restore together are the whole run" {
	need_kvm
	start --control "$S" "$G/long_snap_run.bin" -M long
	wait_socket
	wait_lines 2
	run --separate-stderr timeout "$(limit 20)" "$KVMRUN" ctl "$S" snapshot "$F" --exit
	echo "ctl: status $status, stderr: $stderr; kvmrun's stderr: $(cat "$ERR")"
	[ "$status" = 0 ]
	[ "$output" = "snapshot=$F state=ended" ]
	[ "$stderr" = "" ]
	finish
	[ "$vm_status" = 0 ]
	[ "$(cat "$ERR")" = "$(saved_line "$F")" ]
	timeout "$(limit 20)" "$KVMRUN" --restore "$F" >> "$OUT" 2> "$ERR"
	[ ! -s "$ERR" ]
	cmp "$OUT" "$WANT"
}

@test "ctl snapshot of a paused VM: saved, resumed, nothing lost; the restore prints a tail" {
	need_kvm
	start --control "$S" "$G/snap_run.bin"
	wait_socket
	wait_lines 3
	run -0 timeout "$(limit 20)" "$KVMRUN" ctl "$S" pause
	run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" ctl "$S" snapshot "$F"
	[ "$output" = "snapshot=$F" ]
	run -0 timeout "$(limit 20)" "$KVMRUN" ctl "$S" resume
	finish
	[ "$vm_status" = 0 ]
	[ ! -s "$ERR" ]
	cmp "$OUT" "$WANT"
	timeout "$(limit 20)" "$KVMRUN" --restore "$F" > "$OUT"
	is_suffix "$OUT"
}

@test "virtio-net on a stream socket: saved (ctl snapshot --exit), restored on the recorded socket (a new connection) with the recorded MAC, byte for byte; bindings of another kind or MAC refused; no snapshot over the file a restored VM runs from" {
	need_kvm
	local sock="$BATS_TEST_TMPDIR/net.sock"
	# A peer for --net stream=: it takes each connection and holds it.
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4); held = []
while True: held.append(s.accept())' "$sock" &
	peer=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	start --control "$S" --net "stream=$sock,mac=52:54:00:ab:cd:ef" "$G/snap_run.bin"
	wait_socket
	wait_lines 2
	run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" ctl "$S" snapshot "$F" --exit
	[ "$output" = "snapshot=$F state=ended" ]
	finish
	[ "$vm_status" = 0 ]
	[ "$(cat "$ERR")" = "$(saved_line "$F")" ]
	run -110 --separate-stderr "$KVMRUN" --restore "$F" --net tap=kvmrun-none
	[ "$stderr" = "kvmrun: snapshot '$F': its eth0 was on a stream socket; --net tap=kvmrun-none is a tap" ]
	run -110 --separate-stderr "$KVMRUN" --restore "$F" --net "stream=$sock,mac=52:54:00:00:00:01"
	[ "$stderr" = "kvmrun: snapshot '$F': its eth0 has MAC 52:54:00:ab:cd:ef, which its guest knows; --net stream=$sock gives another" ]
	# The saved VM's control socket goes with its remover, a moment later: not the next VM's.
	for _ in $(seq 200); do [ -e "$S" ] || break; sleep 0.05; done
	"$KVMRUN" --timeout "$(limit 60)" --control "$S" --restore "$F" >> "$OUT" 2> "$ERR" < /dev/null &
	vm=$!
	wait_socket
	run timeout "$(limit 20)" "$KVMRUN" ctl "$S" pause
	echo "ctl pause: status $status, $output; kvmrun's stderr: $(cat "$ERR"); lines out: $(wc -l < "$OUT")"
	[ "$status" = 0 ]
	run -1 --separate-stderr timeout "$(limit 20)" "$KVMRUN" ctl "$S" snapshot "$F"
	[ "$stderr" = "kvmrun: ctl: snapshot '$F': it is the file this VM was restored from, which holds its RAM" ]
	run -0 timeout "$(limit 20)" "$KVMRUN" ctl "$S" resume
	finish
	[ "$vm_status" = 0 ]
	[ ! -s "$ERR" ]
	cmp "$OUT" "$WANT"
}

# ---- with gdb (--gdb) ----

@test "--restore with --gdb --gdb-wait: gdb attaches to the restored VM at the saved instruction; it goes on byte for byte" {
	need_kvm
	command -v gdb > /dev/null || skip "no gdb: apt-get install gdb"
	lo_up
	timeout "$(limit 20)" "$KVMRUN" --snapshot-on-port "$F" "$G/snap_end.bin" > "$OUT" 2> /dev/null
	"$KVMRUN" --timeout "$(limit 60)" --gdb 0 --gdb-wait --restore "$F" >> "$OUT" 2> "$ERR" < /dev/null &
	vm=$!
	gdb_port "$ERR"
	# The saved IP is just past the OUT to port 0xf0 (snap.inc: out %al, $0xf0; two bytes, e6 f0); real
	# mode: memory is read by linear address, CS * 16 + IP.
	run -0 timeout "$(limit 40)" gdb -batch -nx -ex 'set confirm off' -ex "target remote 127.0.0.1:$PORT" \
		-ex 'x/2xb ($cs << 4) + $pc - 2' -ex continue
	echo "$output" | grep -qx '0x[0-9a-f]*:[[:space:]]*0xe6[[:space:]]*0xf0'
	echo "$output" | grep -qx '\[Inferior 1 (Remote target) exited normally\]'
	finish
	[ "$vm_status" = 0 ]
	[ "$(cat "$ERR")" = "kvmrun: gdb: listening on 127.0.0.1:$PORT; the guest waits for gdb at its first instruction" ]
	cmp "$OUT" "$WANT"
}

@test "ctl snapshot while gdb has a software breakpoint in RAM: refused (the file would keep the int3); after it is removed, saved" {
	need_kvm
	lo_up
	"$KVMRUN" --timeout "$(limit 60)" --gdb 0 --gdb-wait --control "$S" "$G/spin.bin" > "$OUT" 2> "$ERR" < /dev/null &
	vm=$!
	gdb_port "$ERR"
	wait_socket
	go="$BATS_TEST_TMPDIR/go"
	{
		printf 'send Z0,7000,1\nitem\nitem\nsend vCont;c\nitem\n'
		while [ ! -e "$go" ]; do sleep 0.05; done
		printf 'raw \\x03\nitem\nsend z0,7000,1\nitem\nitem\nsend D\nitem\nitem\n'
	} | timeout "$(limit 40)" python3 "$ROOT/tests/gdbraw.py" "$PORT" > "$BATS_TEST_TMPDIR/raw" &
	raw=$!
	wait_lines 1
	run -1 --separate-stderr timeout "$(limit 20)" "$KVMRUN" ctl "$S" snapshot "$F"
	[ "$stderr" = "kvmrun: ctl: snapshot: gdb has software breakpoints in guest RAM, which the file would keep: delete them or use hbreak" ]
	touch "$go"
	wait "$raw"
	[ "$(cat "$BATS_TEST_TMPDIR/raw")" = "$(printf '+\nreply OK\n+\nreply T02thread:01;\n+\nreply OK\n+\nreply OK')" ]
	run --separate-stderr timeout "$(limit 20)" "$KVMRUN" ctl "$S" snapshot "$F"
	echo "ctl: status $status, stderr: $stderr; kvmrun's stderr: $(cat "$ERR")"
	[ "$status" = 0 ]
	[ "$output" = "snapshot=$F" ]
	run -0 timeout "$(limit 20)" "$KVMRUN" ctl "$S" quit 3
	finish
	[ "$vm_status" = 3 ]
	[ "$(cat "$OUT")" = spinning ]
}

# ---- with PCI devices ----

@test "PCI devices (a disk, virtio-rng, virtio-console, pvpanic-pci, virtio-balloon): saved and ended; the restore makes them again from the file, in the same slots, and prints the rest" {
	need_kvm
	local disk="$BATS_TEST_TMPDIR/disk.img"
	truncate -s 1M "$disk"
	run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" -v --snapshot-on-port "$F" --disk "$disk" \
		--device virtio-rng --device virtio-console --device pvpanic-pci --device virtio-balloon "$G/snap_end.bin"
	[ "$output" = "$(head -n 21 "$WANT")" ]
	echo "$output" > "$OUT"
	grep '^kvmrun: pci ' <<< "$stderr" > "$BATS_TEST_TMPDIR/pci.before"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/pci.before")" = 10 ]
	timeout "$(limit 20)" "$KVMRUN" -v --restore "$F" >> "$OUT" 2> "$ERR"
	cmp "$OUT" "$WANT"
	grep '^kvmrun: pci ' "$ERR" > "$BATS_TEST_TMPDIR/pci.after"
	cmp "$BATS_TEST_TMPDIR/pci.before" "$BATS_TEST_TMPDIR/pci.after"
}

@test "--restore --disk FILE: a file of the same size stands in for the disk; another size, another count or another read-only flag: one line, status 110" {
	need_kvm
	local a="$BATS_TEST_TMPDIR/a.img" b="$BATS_TEST_TMPDIR/b.img" c="$BATS_TEST_TMPDIR/c.img"
	truncate -s 1M "$a" "$b"
	truncate -s 2M "$c"
	run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" --snapshot-on-port "$F" --disk "$a" "$G/snap_end.bin"
	echo "$output" > "$OUT"
	run -110 --separate-stderr "$KVMRUN" --restore "$F" --disk "$c"
	[ "$stderr" = "kvmrun: snapshot '$F': its disk vda was 1048576 bytes; $c is 2097152" ]
	[ "$output" = "" ]
	run -110 --separate-stderr "$KVMRUN" --restore "$F" --disk "$b" --disk "$a"
	[ "$stderr" = "kvmrun: snapshot '$F': the saved VM had 1 disk; 2 --disk were given" ]
	run -110 --separate-stderr "$KVMRUN" --restore "$F" --disk "$b,ro"
	[ "$stderr" = "kvmrun: snapshot '$F': its disk vda is read-write; --disk $b has ,ro" ]
	timeout "$(limit 20)" "$KVMRUN" --restore "$F" --disk "$b" >> "$OUT" 2> "$ERR"
	[ ! -s "$ERR" ]
	cmp "$OUT" "$WANT"
	# A VM saved without disks takes none.
	timeout "$(limit 20)" "$KVMRUN" --snapshot-on-port "$F" "$G/snap_end.bin" > /dev/null 2>&1
	run -110 --separate-stderr "$KVMRUN" --restore "$F" --disk "$b"
	[ "$stderr" = "kvmrun: snapshot '$F': the saved VM had no disk, but 1 --disk was given" ]
}

# ---- --restore: what it refuses ----

@test "--restore with a GUEST or a machine option: usage errors" {
	run -2 --separate-stderr "$KVMRUN" --restore "$F" "$G/snap_end.bin"
	[ "$stderr" = "kvmrun: --restore takes no GUEST ('$G/snap_end.bin'): the snapshot holds the guest; $USAGE" ]
	run -2 --separate-stderr "$KVMRUN" -m 32 --restore "$F"
	[ "$stderr" = "kvmrun: --mem describes the machine, which comes from the snapshot with --restore; $USAGE" ]
	run -2 --separate-stderr "$KVMRUN" --restore "$F" --cpus 2
	[ "$stderr" = "kvmrun: --cpus describes the machine, which comes from the snapshot with --restore; $USAGE" ]
}

@test "--restore refuses a missing file, a file that is no snapshot, a truncated, damaged or newer one: one line, status 110" {
	need_kvm
	run -110 --separate-stderr "$KVMRUN" --restore "$F"
	[ "$stderr" = "kvmrun: snapshot '$F': No such file or directory" ]
	run -110 --separate-stderr "$KVMRUN" --restore "$G/snap_end.bin"
	[ "$stderr" = "kvmrun: snapshot '$G/snap_end.bin': not a kvmrun snapshot (no KVMRSNAP magic)" ]
	timeout "$(limit 20)" "$KVMRUN" --snapshot-on-port "$F" "$G/snap_end.bin" > /dev/null 2>&1
	size=$(stat -c %s "$F")
	cp "$F" "$F.t"
	truncate -s 5000 "$F.t"
	run -110 --separate-stderr "$KVMRUN" --restore "$F.t"
	[ "$stderr" = "kvmrun: snapshot '$F.t': truncated: 5000 bytes, the header says $size" ]
	truncate -s 100 "$F.t"
	run -110 --separate-stderr "$KVMRUN" --restore "$F.t"
	[ "$stderr" = "kvmrun: snapshot '$F.t': truncated: 100 bytes, less than the 128-byte header" ]
	cp "$F" "$F.d"
	printf '\x5a' | dd of="$F.d" bs=1 seek=4200 conv=notrunc status=none
	run -110 --separate-stderr "$KVMRUN" --restore "$F.d"
	[ "$stderr" = "kvmrun: snapshot '$F.d': damaged: the state's checksum does not match" ]
	cp "$F" "$F.h"
	printf '\x5a' | dd of="$F.h" bs=1 seek=40 conv=notrunc status=none
	run -110 --separate-stderr "$KVMRUN" --restore "$F.h"
	[ "$stderr" = "kvmrun: snapshot '$F.h': damaged: the header's checksum does not match" ]
	cp "$F" "$F.v"
	printf '\x02' | dd of="$F.v" bs=1 seek=8 conv=notrunc status=none
	run -110 --separate-stderr "$KVMRUN" --restore "$F.v"
	[ "$stderr" = "kvmrun: snapshot '$F.v': format version 2; this kvmrun (1.0.0) reads version 1" ]
}

@test "the file is sparse: RAM's untouched pages are holes; -v and --stats report the times" {
	need_kvm
	run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" -v --snapshot-on-port "$F" "$G/snap_end.bin"
	[[ "${stderr_lines[-2]}" =~ ^"kvmrun: snapshot (port 0xf0) to '$F' written in "[0-9.]+" ms: "[0-9]+" KiB of RAM's 16384 KiB"$ ]]
	[ "$(stat -c %s "$F")" -gt $(( 16 << 20 )) ]
	[ "$(du -k "$F" | cut -f1)" -lt 1024 ]
	run -0 --separate-stderr timeout "$(limit 20)" "$KVMRUN" -v --stats --restore "$F"
	grep -Eq "^kvmrun: restored from '$F' in [0-9.]+ ms: 1 vCPU, RAM 16384 KiB mapped from the file \(loaded as the guest touches it\), real mode, irqchip off$" <<< "$stderr"
	[[ "${stderr_lines[-1]}" =~ ^"kvmrun: stats: restored in "[0-9.]+" s"$ ]]
}
