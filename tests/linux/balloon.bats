#!/usr/bin/env bats
# virtio-balloon seen from a Linux guest (Debian's kernel with virtio_balloon,
# the test initramfs's "meminfo" case, driven line by line on the console):
# memory the guest frees goes back to the host through free page reporting,
# and a balloon target set through the control socket takes memory from the
# guest and gives it back.
load ../helpers
load background

L="$ROOT/build/linux"

setup() {
	need_kvm
	need_linux
	D=$BATS_TEST_TMPDIR
	mkfifo "$D/in"
	exec 4<>"$D/in"	# held open: the guest's console never sees end of file
}

teardown() {
	[ -z "${guest:-}" ] || kill -9 "$guest" 2>/dev/null || true
	exec 4>&-
}

# start OPTION...: kvmrun boots the "meminfo" test in the background; its
# console input is the fifo (say LINE sends a line), stdout $D/out, stderr $D/err.
start() {
	timeout -k 5 $((400 * TIME_SCALE)) "$KVMRUN" --timeout $((300 * TIME_SCALE)) "$@" \
		--initrd "$L/initrd.gz" --append "quiet kvmrun.test=meminfo" "$L/bzImage" \
		< "$D/in" > "$D/out" 2> "$D/err" &
	guest=$!
	for ((i = 0; i < 100; i++)); do
		pid=$(pgrep -P "$guest" -x kvmrun) && break
		sleep 0.1
	done
	[ -n "$pid" ]
}

say() {
	echo "$1" >&4
}

# rss_mib: kvmrun's resident memory now, MiB.
rss_mib() {
	awk '$1 == "VmRSS:" { print int($2 / 1024) }' "/proc/$pid/status"
}

@test "virtio-balloon: free page reporting: after the guest fills and frees 512 MiB, kvmrun's RSS falls back to within 64 MiB of where it started" {
	start --mem 1G --device virtio-balloon --stats
	wait_line "meminfo ready"
	sleep 3	# the boot's own freed memory is reported first
	rss0=$(rss_mib)
	say "fill 512"
	wait_line "filled"
	rss1=$(rss_mib)
	echo "RSS: $rss0 MiB at the start, $rss1 MiB filled"
	[ "$rss1" -ge $((rss0 + 480)) ]
	say "free"
	wait_line "freed"
	# Linux reports free 2 MiB blocks about 2 s after they are freed.
	for ((t = 0; t < 60 * TIME_SCALE; t++)); do
		rss2=$(rss_mib)
		[ "$rss2" -le $((rss0 + 64)) ] && break
		sleep 1
	done
	echo "RSS: $rss2 MiB after the free ($t s)"
	[ "$rss2" -le $((rss0 + 64)) ]
	say "end"
	finish
	[ "$status" -eq 0 ]
	grep -E '^kvmrun: stats: virtio-balloon' "$D/err"
}

@test "virtio-balloon: without a balloon, the same fill and free leaves kvmrun's RSS high (what the reporting test measures is the balloon's doing)" {
	start --mem 1G
	wait_line "meminfo ready"
	sleep 3
	rss0=$(rss_mib)
	say "fill 512"
	wait_line "filled"
	say "free"
	wait_line "freed"
	sleep 8
	rss2=$(rss_mib)
	echo "RSS: $rss0 MiB at the start, $rss2 MiB 8 s after the free"
	[ "$rss2" -ge $((rss0 + 480)) ]
	say "end"
	finish
	[ "$status" -eq 0 ]
}

# mem_now: asks the guest for its memory; sets total and free (kB).
mem_now() {
	local n i line
	n=$(lines | grep -c '^mem ' || true)
	say mem
	for ((i = 0; i < 600 * TIME_SCALE; i++)); do
		[ "$(lines | grep -c '^mem ' || true)" -gt "$n" ] && break
		sleep 0.1
	done
	line=$(lines | grep '^mem ' | tail -n 1)
	read -r _ total free <<< "$line"
	echo "guest: MemTotal $total kB, MemFree $free kB"
}

# balloon_actual BYTES: until the control socket's balloon reply says actual=BYTES.
balloon_actual() {
	for ((i = 0; i < 600 * TIME_SCALE; i++)); do
		run "$KVMRUN" ctl "$D/ctl" balloon
		[[ $output == *" actual=$1 "* ]] && return 0
		sleep 0.1
	done
	echo "balloon never reached actual=$1: $output"
	return 1
}

@test "virtio-balloon: a target set through the control socket takes 128 MiB from the guest's free memory (100-160 MiB less MemFree) and gives it back at 0; a target above RAM is refused" {
	start --mem 512M --device virtio-balloon --control "$D/ctl"
	wait_line "meminfo ready"
	mem_now
	free0=$free
	run -1 --separate-stderr "$KVMRUN" ctl "$D/ctl" balloon 1G
	[ "$stderr" = "kvmrun: ctl: balloon '1G': 1073741824 bytes is above the guest's RAM (512 MiB)" ]
	run -0 "$KVMRUN" ctl "$D/ctl" balloon 128M
	[ "$output" = "target=134217728" ]
	balloon_actual 134217728
	mem_now
	echo "MemFree fell by $(((free0 - free) / 1024)) MiB"
	# 128 MiB, give or take what the guest's own activity freed or took meanwhile.
	[ $((free0 - free)) -ge $((100 * 1024)) ]
	[ $((free0 - free)) -le $((160 * 1024)) ]
	run -0 "$KVMRUN" ctl "$D/ctl" balloon 0
	[ "$output" = "target=0" ]
	balloon_actual 0
	mem_now
	echo "MemFree back to $((free / 1024)) MiB (was $((free0 / 1024)))"
	[ "$free" -ge $((free0 - 16 * 1024)) ]
	say end
	finish
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
}
