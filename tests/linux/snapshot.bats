#!/usr/bin/env bats
# Snapshot and restore of a Linux guest (build/linux's kernel and initrd,
# kvmrun.test=snap in tests/linux/init): saved through the control socket while
# init waits on the console, restored seconds later; the restored kernel's wall
# clock is right, its timers fire, its RAM (the initramfs) is intact; with a
# virtio disk, virtio-rng and virtio-balloon, the restored guest reads and
# writes the disk, draws random bytes, and its balloon holds what it held.
load ../helpers

# debugfs and e2fsck live in /sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

L="$ROOT/build/linux"

setup() {
	need_kvm
	need_linux
	F="$BATS_TEST_TMPDIR/linux.snap" S="$BATS_TEST_TMPDIR/ctl.sock"
	OUT="$BATS_TEST_TMPDIR/out" ERR="$BATS_TEST_TMPDIR/err"
	vm=
}

teardown() {
	if [ -n "$vm" ]; then kill -KILL "$vm" 2>/dev/null || true; fi
}

# init_lines FILE: the console's lines without carriage returns and without
# the kernel's log lines ("[    1.234] ...").
init_lines() {
	tr -d '\r' < "$1" | grep -v '^\[ *[0-9]*\.[0-9]*\]' || true
}

# start_snap OPTION...: boots init's snap test in the background (--control
# $S, stdout $OUT, stderr $ERR) and waits for its prompt.
start_snap() {
	timeout -k 5 $((150 * TIME_SCALE)) "$KVMRUN" --mem 256 --cpus 2 --control "$S" --timeout $((100 * TIME_SCALE)) \
		"$@" --initrd "$L/initrd.gz" --append "quiet kvmrun.test=snap" "$L/bzImage" > "$OUT" 2> "$ERR" < /dev/null &
	vm=$!
	for _ in $(seq 1 $((1200 * TIME_SCALE))); do grep -q 'snap ready' "$OUT" && break; sleep 0.1; done
	[ "$(init_lines "$OUT")" = "snap ready" ]
}

# save_and_end: ctl snapshot $F --exit; kvmrun ends saying where it saved.
save_and_end() {
	run -0 --separate-stderr timeout $((20 * TIME_SCALE)) "$KVMRUN" ctl "$S" snapshot "$F" --exit
	[ "$output" = "snapshot=$F state=ended" ]
	wait "$vm"
	vm=
	[ "$(cat "$ERR")" = "kvmrun: saved to '$F'; the run ends (kvmrun --restore $F resumes it)" ]
}

@test "Linux: saved at a prompt (ctl snapshot --exit), restored 10 s later: the clock is right, a 1 s sleep ends, /init is intact" {
	start_snap
	save_and_end
	sleep 10
	local before after
	before=$(date +%s)
	run --separate-stderr timeout -k 5 $((60 * TIME_SCALE)) "$KVMRUN" --restore "$F" \
		< <(printf 'date\nsleep\nsum\nend\n')
	after=$(date +%s)
	printf 'status %s; stdout:\n%s\nstderr:\n%s\n' "$status" "$output" "$stderr"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	echo "$output" > "$OUT"
	mapfile -t got < <(init_lines "$OUT")
	[ "${#got[@]}" -eq 3 ]
	# The guest's wall clock: within a second of the host's while it ran.
	local t=${got[0]#date }
	[ "${got[0]}" = "date $t" ]
	[ "$t" -ge $((before - 1)) ] && [ "$t" -le $((after + 1)) ]
	# The timer fires: not before 1 s, and not long after (the test host's
	# load stretches it: the bound grows with TIME_SCALE; a timer lost in the
	# restore never fires and the run times out).
	local ms=${got[1]#slept }
	ms=${ms% ms}
	[ "${got[1]}" = "slept $ms ms" ]
	[ "$ms" -ge 1000 ] && [ "$ms" -lt $((2000 + 500 * TIME_SCALE)) ]
	[ "${got[2]}" = "sum $(md5sum < "$ROOT/tests/linux/init")" ]
}

@test "Linux with --disk, virtio-rng and virtio-balloon: saved with vda mounted and 32 MiB in the balloon, restored on the saved path: the guest reads the payload, writes a file (debugfs reads it back, e2fsck finds the image clean), draws random bytes, the balloon still holds 32 MiB; a disk of another size is refused" {
	[ -s "$L/disk.ext4" ] || skip "no $L/disk.ext4: run tests/linux/build.sh"
	local disk="$BATS_TEST_TMPDIR/disk.img" other="$BATS_TEST_TMPDIR/other.img"
	cp "$L/disk.ext4" "$disk"
	start_snap --disk "$disk" --device virtio-rng --device virtio-balloon
	# 32 MiB into the balloon; saved once the guest has put it all in.
	run -0 timeout $((20 * TIME_SCALE)) "$KVMRUN" ctl "$S" balloon 32M
	for _ in $(seq 1 $((300 * TIME_SCALE))); do
		run -0 timeout $((20 * TIME_SCALE)) "$KVMRUN" ctl "$S" balloon
		[[ "$output" == "target=33554432 actual=33554432 "* ]] && break
		sleep 0.1
	done
	echo "ctl balloon: $output"
	[[ "$output" == "target=33554432 actual=33554432 "* ]]
	save_and_end
	# A disk of another size under vda: one line, status 110.
	truncate -s 32M "$other"
	run -110 --separate-stderr timeout $((20 * TIME_SCALE)) "$KVMRUN" --restore "$F" --disk "$other"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: snapshot '$F': its disk vda was 16777216 bytes; $other is 33554432" ]
	# No --disk: the saved path. Input through a fifo held open, so that the
	# balloon is asked while the restored guest still runs (at its poweroff
	# Linux may reset the device).
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 4<> "$BATS_TEST_TMPDIR/in"
	timeout -k 5 $((60 * TIME_SCALE)) "$KVMRUN" --control "$S" --restore "$F" < "$BATS_TEST_TMPDIR/in" > "$OUT" 2> "$ERR" &
	vm=$!
	printf 'disk\nwrite\nrng\nsum\n' >&4
	for _ in $(seq 1 $((600 * TIME_SCALE))); do grep -q '^sum ' "$OUT" && break; sleep 0.1; done
	run -0 timeout $((20 * TIME_SCALE)) "$KVMRUN" ctl "$S" balloon
	echo "ctl balloon: $output"
	[[ "$output" == "target=33554432 actual=33554432 "* ]]
	echo end >&4
	status=0
	wait "$vm" || status=$?
	vm=
	exec 4>&-
	printf 'status %s; stdout:\n%s\nstderr:\n%s\n' "$status" "$(cat "$OUT")" "$(cat "$ERR")"
	[ "$status" -eq 0 ]
	[ ! -s "$ERR" ]
	local want
	want=$(seq 1 20000 | sha256sum | cut -d' ' -f1)
	[ "$(init_lines "$OUT")" = "$(printf 'disk %s\nwrote %s\nunmounted\nrng 16 bytes\nsum %s' \
		"$(cat "$L/payload.sha256")" "$want" "$(md5sum < "$ROOT/tests/linux/init")")" ]
	[ "$(debugfs -R 'cat /restored.txt' "$disk" 2> /dev/null | sha256sum | cut -d' ' -f1)" = "$want" ]
	run e2fsck -fn "$disk"
	echo "$output"
	[ "$status" -eq 0 ]
}
