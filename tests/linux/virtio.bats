#!/usr/bin/env bats
# The PCI bus and its virtio 1.x devices, seen from a Linux guest: Debian's
# kernel with the test initramfs (tests/linux/build.sh), whose init loads
# virtio_pci, virtio_blk, virtio_console, virtio-rng and pvpanic-pci at every
# boot and ext4 before it mounts. Each boot takes about 20 s in the test host,
# a second on hardware KVM. Every test gets its own copy of a disk image
# ($BATS_TEST_TMPDIR): no two runs share a writable file. The malformed
# --disk and --device requests at the end are refused before any VM exists.
load ../helpers
load locks

L="$ROOT/build/linux"
# debugfs and e2fsck live in /sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

setup() {
	need_kvm
	need_linux disk.ext4
	D=$BATS_TEST_TMPDIR
}

# boot TEST [OPTION...]: kvmrun boots the bzImage with the test initrd,
# --append "${APPEND:-quiet} kvmrun.test=TEST" and OPTIONs, stdin
# ${BOOT_STDIN:-/dev/null}; stdout in $D/out, stderr in $D/err and $stderr,
# the exit status in $status. init_lines are stdout's lines without carriage
# returns and without the kernel's log lines ("[    1.234] ..."), init_out
# the same joined by newlines.
boot() {
	local t=$1 line
	shift
	status=0
	timeout -k 5 $((150 * TIME_SCALE)) "$KVMRUN" --timeout $((100 * TIME_SCALE)) "$@" \
		--initrd "$L/initrd.gz" --append "${APPEND:-quiet} kvmrun.test=$t" "$L/bzImage" \
		< "${BOOT_STDIN:-/dev/null}" > "$D/out" 2> "$D/err" || status=$?
	stderr=$(cat "$D/err")
	init_lines=()
	while IFS= read -r line; do
		line=${line%$'\r'}
		[[ $line =~ ^\[\ *[0-9]+\.[0-9]+\] ]] || init_lines+=("$line")
	done < "$D/out"
	init_out=$(printf '%s\n' "${init_lines[@]}")
	printf 'status %s; init printed:\n%s\nstderr:\n%s\n' "$status" "$(head -c 3000 <<< "$init_out")" "$stderr"
}

# sha FILE: FILE's SHA-256, just the hex.
sha() {
	sha256sum "$1" | cut -d' ' -f1
}

@test "virtio-blk: the guest mounts the ext4 image read-only and reads its file: the payload's SHA-256; the image is untouched" {
	cp "$L/disk.ext4" "$D/disk.img"
	boot disk-sha --disk "$D/disk.img,ro"
	[ "$status" -eq 0 ]
	[ "$init_out" = "payload $(cat "$L/payload.sha256")" ]
	[ "$stderr" = "" ]
	[ "$(sha "$D/disk.img")" = "$(cat "$L/disk.sha256")" ]
}

@test "virtio-blk: files written through ext4, synced and unmounted are in the image (debugfs reads them back) and the file system is clean" {
	cp "$L/disk.ext4" "$D/disk.img"
	boot disk-write --disk "$D/disk.img"
	[ "$status" -eq 0 ]
	[ "$init_out" = "wrote seq.txt (588895 bytes) and copy.bin (sha256 $(cat "$L/payload.sha256"))"$'\n'"unmounted" ]
	[ "$stderr" = "" ]
	debugfs -R 'cat /seq.txt' "$D/disk.img" 2> /dev/null > "$D/seq.txt"
	seq 1 100000 | cmp - "$D/seq.txt"
	debugfs -R 'cat /copy.bin' "$D/disk.img" 2> /dev/null > "$D/copy.bin"
	[ "$(sha "$D/copy.bin")" = "$(cat "$L/payload.sha256")" ]
	e2fsck -fn "$D/disk.img"
}

@test "virtio-blk: ,ro: the guest sees a read-only disk and a direct write is refused; the image keeps every byte" {
	cp "$L/disk.ext4" "$D/disk.img"
	boot disk-ro --disk "$D/disk.img,ro"
	[ "$status" -eq 0 ]
	[ "$init_out" = "ro 1"$'\n'"write refused: dd: error writing '/dev/vda': Operation not permitted" ]
	[ "$stderr" = "" ]
	[ "$(sha "$D/disk.img")" = "$(cat "$L/disk.sha256")" ]
}

@test "virtio-blk: SIGKILL right after the guest's flush: the flushed bytes are in the image, the rest untouched" {
	head -c $((4 << 20)) /dev/zero > "$D/raw.img"
	"$KVMRUN" --timeout $((150 * TIME_SCALE)) --disk "$D/raw.img" --initrd "$L/initrd.gz" \
		--append "quiet kvmrun.test=flush-then-hang" "$L/bzImage" < /dev/null > "$D/out" 2> "$D/err" &
	pid=$!
	for _ in $(seq $((100 * TIME_SCALE))); do
		grep -q '^synced' "$D/out" && break
		kill -0 "$pid" 2> /dev/null || break
		sleep 1
	done
	kill -KILL "$pid"
	status=0
	wait "$pid" || status=$?
	printf 'status %s; stdout:\n%s\nstderr:\n%s\n' "$status" "$(tr -d '\r' < "$D/out")" "$(cat "$D/err")"
	[ "$status" -eq 137 ]
	[ "$(tr -d '\r' < "$D/out" | grep -v '^\[')" = "synced" ]
	[ "$(head -c $((1 << 20)) "$D/raw.img" | sha256sum | cut -d' ' -f1)" = "$(cat "$L/payload.sha256")" ]
	[ "$(tail -c +$(((1 << 20) + 1)) "$D/raw.img" | tr -d '\0' | wc -c)" -eq 0 ]
	[ "$(stat -c %s "$D/raw.img")" -eq $((4 << 20)) ]
}

@test "virtio-blk: two disks are /dev/vda and /dev/vdb in command-line order: sizes, serials (given; by default the base name cut to 20 bytes), ro flags, bytes" {
	cp "$L/disk.ext4" "$D/a-very-long-image-file-name.img"
	head -c 1536 "$L/initrd.gz" > "$D/small.img"	# 3 sectors
	boot disks --disk "$D/a-very-long-image-file-name.img,ro" --disk "$D/small.img,serial=exactly-twenty-bytes"
	[ "$status" -eq 0 ]
	[ "${init_lines[0]}" = "vda size 32768 serial 'a-very-long-image-fi' ro 1 sha256 $(cat "$L/disk.sha256")" ]
	[ "${init_lines[1]}" = "vdb size 3 serial 'exactly-twenty-bytes' ro 0 sha256 $(sha "$D/small.img")" ]
	[ "${#init_lines[@]}" -eq 2 ]
	[ "$stderr" = "" ]
}

@test "PCI: the host bridge (1b36:0008) at 00:00.0, then the devices in command-line order, virtio modern IDs (1af4:1042, 1043, 1044), each with its driver" {
	cp "$L/disk.ext4" "$D/a.img"
	head -c 4096 /dev/zero > "$D/b.img"
	boot pci --disk "$D/a.img,ro" --device virtio-console --device virtio-rng --device pvpanic-pci --disk "$D/b.img"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[ "${init_lines[0]}" = "0000:00:00.0 0x1b36:0x0008 class 0x060000 driver none" ]
	[ "${init_lines[1]}" = "0000:00:01.0 0x1af4:0x1042 class 0x010000 driver virtio-pci" ]
	[ "${init_lines[2]}" = "0000:00:02.0 0x1af4:0x1043 class 0x078000 driver virtio-pci" ]
	[ "${init_lines[3]}" = "0000:00:03.0 0x1af4:0x1044 class 0x00ff00 driver virtio-pci" ]
	[ "${init_lines[4]}" = "0000:00:04.0 0x1b36:0x0011 class 0x088000 driver pvpanic-pci" ]
	[ "${init_lines[5]}" = "0000:00:05.0 0x1af4:0x1042 class 0x010000 driver virtio-pci" ]
	[ "${#init_lines[@]}" -eq 6 ]
}

@test "virtio-console: 256 KiB written to /dev/hvc0 reach stdout byte for byte, before the serial console's next line" {
	boot hvc --device virtio-console
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	{
		awk 'BEGIN { for (i = 1; i <= 8192; i++) printf "%08d 0123456789abcdefghijkl\n", i }'
		printf 'hvc done\r\n'
	} > "$D/want"
	grep -av '^\[ *[0-9]*\.[0-9]*\]' "$D/out" > "$D/got" || true
	cmp "$D/want" "$D/got"
}

@test "virtio-console: with console=hvc0 init's lines come through hvc0, and kvmrun adds no console=ttyS0" {
	APPEND="console=hvc0 quiet" boot cmdline --device virtio-console
	[ "$status" -eq 0 ]
	[ "$init_out" = "console=hvc0 quiet kvmrun.test=cmdline" ]
	[ "$stderr" = "" ]
}

@test "virtio-console: stdin feeds /dev/hvc0 (not COM1), input sent before the guest opens it included" {
	printf 'quiet words\nb c\n\nend\nafter\n' > "$D/in"
	BOOT_STDIN="$D/in" boot hvc-read --device virtio-console
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	got=$(printf '%s\n' "${init_lines[@]}" | grep -E '^(hvc read ready|got: |read done|read ended)')
	[ "$got" = $'hvc read ready\ngot: quiet words\ngot: b c\ngot: \nread done' ]
}

@test "virtio-rng: /dev/hwrng is virtio's and gives 4096 bytes that vary" {
	boot hwrng --device virtio-rng
	[ "$status" -eq 0 ]
	[ "$init_out" = $'rng_current virtio_rng.0\nhwrng read 4096 bytes\nhwrng bytes vary: yes' ]
	[ "$stderr" = "" ]
}

@test "pvpanic-pci: a panic with only the PCI device's driver bound ends the run at once: status 100, one line on stderr" {
	boot pvpanic-pci --device pvpanic-pci
	[ "$status" -eq 100 ]
	[ "$init_out" = $'pvpanic-pci devices 1\npanicking' ]
	[ "$stderr" = "kvmrun: guest fault: the guest kernel panicked (pvpanic event 0x1 at pvpanic-pci)" ]
	grep -q "Kernel panic - not syncing: sysrq triggered crash" "$D/out"
}

# ---- bad --disk and --device requests: one line, a documented status, no VM ----

# refused STATUS LINE OPTION...: kvmrun with OPTIONs and the bzImage ends with
# STATUS, nothing on stdout, LINE on stderr.
refused() {
	local want=$1 line=$2
	shift 2
	run "-$want" --separate-stderr timeout 30 "$KVMRUN" "$@" --initrd "$L/initrd.gz" "$L/bzImage"
	[ "$output" = "" ]
	[ "$stderr" = "$line" ]
}

@test "--disk: a missing file, a directory, a character device, an empty file, a size not a multiple of 512: refused, status 104" {
	refused 104 "kvmrun: disk $D/none.img: cannot open it for reading and writing: No such file or directory" --disk "$D/none.img"
	refused 104 "kvmrun: disk $D/none.img: cannot open it for reading: No such file or directory" --disk "$D/none.img,ro"
	mkdir "$D/dir"
	refused 104 "kvmrun: disk $D/dir: is a directory, not a disk image" --disk "$D/dir"
	refused 104 "kvmrun: disk $D/dir: is a directory, not a disk image" --disk "$D/dir,ro"
	refused 104 "kvmrun: disk /dev/null: is not a regular file or a block device" --disk /dev/null,ro
	: > "$D/empty.img"
	refused 104 "kvmrun: disk $D/empty.img: is empty (a raw image holds at least one 512-byte sector)" --disk "$D/empty.img"
	head -c 1000 /dev/zero > "$D/odd.img"
	refused 104 "kvmrun: disk $D/odd.img: is 1000 bytes, not a multiple of 512 (truncate -s to round it)" --disk "$D/odd.img"
	# The second disk is as carefully checked as the first.
	head -c 512 /dev/zero > "$D/ok.img"
	refused 104 "kvmrun: disk $D/odd.img: is 1000 bytes, not a multiple of 512 (truncate -s to round it)" --disk "$D/ok.img" --disk "$D/odd.img"
	[ "$(stat -c %s "$D/odd.img")" -eq 1000 ]
}

teardown() {
	[ -z "${NOBODY_DIR:-}" ] || rm -rf "$NOBODY_DIR"
}

@test "--disk: an unreadable file, a read-only file without ,ro: refused, status 104" {
	# root reads and writes any file: as root, run as nobody, from a
	# world-readable directory outside $BATS_TEST_TMPDIR, whose parents may be private.
	if [ "$(id -u)" -eq 0 ]; then
		command -v setpriv > /dev/null || skip "setpriv(1) is not installed"
		group=$(id -gn nobody) || skip "no user nobody"
		as_user() { setpriv --reuid=nobody --regid="$group" --clear-groups "$@"; }
	else
		as_user() { "$@"; }
	fi
	NOBODY_DIR=$(mktemp -d /tmp/kvmrun-disk.XXXXXX)
	chmod 755 "$NOBODY_DIR"
	cp "$KVMRUN" "$NOBODY_DIR/kvmrun"
	cp "$ROOT/guest/hello.bin" "$NOBODY_DIR/hello.bin"
	chmod 755 "$NOBODY_DIR/kvmrun"
	chmod 644 "$NOBODY_DIR/hello.bin"
	N=$NOBODY_DIR
	head -c 512 /dev/zero > "$N/none.img"
	chmod 000 "$N/none.img"
	run -104 --separate-stderr as_user timeout 30 "$N/kvmrun" --disk "$N/none.img,ro" "$N/hello.bin"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: disk $N/none.img: cannot open it for reading: Permission denied" ]
	head -c 512 /dev/zero > "$N/r.img"
	chmod 444 "$N/r.img"
	run -104 --separate-stderr as_user timeout 30 "$N/kvmrun" --disk "$N/r.img" "$N/hello.bin"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: disk $N/r.img: cannot open it for reading and writing: Permission denied (add ,ro to use it read-only)" ]
}

@test "--disk and --device: unknown options and devices, no file name, a serial over 20 bytes, a device twice, more than 31 PCI devices, --no-irqchip: usage errors, status 2" {
	head -c 512 /dev/zero > "$D/x"
	cd "$D"
	refused 2 "kvmrun: --disk 'x,foo': unknown option 'foo' (known: ro, rw, serial=TEXT); $USAGE" --disk x,foo
	refused 2 "kvmrun: --disk ',ro': no file name before the options; $USAGE" --disk ,ro
	refused 2 "kvmrun: --disk 'x,serial=twenty-one-bytes-long': serial 'twenty-one-bytes-long' is longer than 20 bytes; $USAGE" \
		--disk x,serial=twenty-one-bytes-long
	refused 2 "kvmrun: --device 'virtio-gpu': not one of virtio-console, virtio-rng, pvpanic-pci, virtio-balloon; $USAGE" --device virtio-gpu
	refused 2 "kvmrun: --device 'virtio-rng': given twice (one of each device at most); $USAGE" --device virtio-rng --device virtio-rng
	many=()
	for _ in $(seq 31); do many+=(--disk x,ro); done
	refused 2 "kvmrun: --device 'virtio-rng': too many PCI devices (at most 31 --disk, --net and --device together); $USAGE" "${many[@]}" --device virtio-rng
	refused 2 "kvmrun: --no-irqchip: PCI devices (--disk, --device) interrupt through MSI-X, which needs the in-kernel interrupt controllers; $USAGE" \
		--no-irqchip --disk x
}

# hold_lock FILE: a process holds a POSIX write lock (fcntl F_SETLK, as
# lockf(3) takes) on all of FILE until killed; $locker is its pid.
hold_lock() {
	python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print("locked", flush=True)
time.sleep(60)' "$1" > "$D/locker.out" &
	locker=$!
	for _ in $(seq 50); do grep -q locked "$D/locker.out" && return 0; sleep 0.1; done
	return 1
}

@test "--disk: an image another process holds a lock on is refused before the guest starts, status 106; also ,ro" {
	head -c 4096 /dev/zero > "$D/held.img"
	hold_lock "$D/held.img"
	line="kvmrun: disk $D/held.img: in use by another process (it holds a lock on the file); stop it first, or give ,ro to every user that only reads"
	refused 106 "$line" --disk "$D/held.img"
	refused 106 "$line" --disk "$D/held.img,ro"
	kill "$locker"
	wait "$locker" || true
}

@test "--disk: a running kvmrun locks its writable image (a second one gets status 106) and shares a read-only one" {
	cp "$L/disk.ext4" "$D/disk.img"
	mkfifo "$D/in"
	sleep 600 > "$D/in" &
	holder=$!
	# The first run's guest waits for input on its shell; its lock is taken before the VM exists.
	"$KVMRUN" --timeout $((150 * TIME_SCALE)) --disk "$D/disk.img" --initrd "$L/initrd.gz" \
		--append "quiet kvmrun.test=shell" "$L/bzImage" < "$D/in" > "$D/first.out" 2> "$D/first.err" &
	first=$!
	line="kvmrun: disk $D/disk.img: in use by another process (it holds a lock on the file); stop it first, or give ,ro to every user that only reads"
	wait_lock "$D/disk.img" WRITE
	refused 106 "$line" --disk "$D/disk.img,ro"
	refused 106 "$line" --disk "$D/disk.img"
	kill -TERM "$first"
	wait "$first" || true
	kill "$holder" 2> /dev/null || true
	[ "$(cat "$D/first.err")" = "kvmrun: stopped by SIGTERM" ]
	# Read-only users share: a first run with ,ro, a second with ,ro boots and reads.
	sleep 600 > "$D/in" &
	holder=$!
	"$KVMRUN" --timeout $((150 * TIME_SCALE)) --disk "$D/disk.img,ro" --initrd "$L/initrd.gz" \
		--append "quiet kvmrun.test=shell" "$L/bzImage" < "$D/in" > "$D/first.out" 2> "$D/first.err" &
	first=$!
	wait_lock "$D/disk.img" READ
	refused 106 "$line" --disk "$D/disk.img"
	boot disk-sha --disk "$D/disk.img,ro"
	kill -TERM "$first"
	wait "$first" || true
	kill "$holder" 2> /dev/null || true
	[ "$(cat "$D/first.err")" = "kvmrun: stopped by SIGTERM" ]
	[ "$status" -eq 0 ]
	[ "$init_out" = "payload $(cat "$L/payload.sha256")" ]
	[ "$stderr" = "" ]
}
