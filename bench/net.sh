#!/usr/bin/env bash
# bench/net.sh: the network and balloon section of `make bench` (after
# bench/virtio.sh), run from anywhere; it works in the repository root.
#
# Debian's kernel and the test initramfs (build/linux, tests/linux/build.sh),
# 256 MiB of guest RAM, one virtio-net NIC on a tap in a network namespace
# made here (no frame leaves it):
#   1. TCP throughput, kvmrun.test=net: the host sends N MiB to the guest's
#      busybox nc (host to guest), then the guest sends N MiB to the host
#      (guest to host); tests/linux/netpeer.py is the host's end and times
#      each transfer from connection to the peer's close. The host checks
#      the SHA-256 of what it got; the guest counts what it got
#      (kvmrun.sink=count: busybox's SHA-256 in the guest would set the
#      pace, not the network; tests/linux/net.bats checks those bytes' SHA-256
#      both ways). Runners:
#        kvmrun --net tap=TAP
#        QEMU -M pc -netdev tap,vhost=off + virtio-net-pci (modern only)
#      With each transfer, netpeer.py samples the runner's threads: CPU ms
#      per MiB outside the guest (the runner's own part) and inside it.
#   2. The balloon's RSS curve, kvmrun.test=meminfo: 1 GiB guest, RSS of the
#      runner sampled every second through: boot, fill 512 MiB of tmpfs,
#      free it, 20 s; kvmrun --device virtio-balloon against QEMU's
#      virtio-balloon-pci,free-page-reporting=on.
# Goal: kvmrun's throughput at least QEMU's (without vhost) both ways.
#
# Environment: BENCH_NET_RUNS (1-1000; default 5, test host 3),
# BENCH_NET_MIB (1-4096; default 256, test host 64), BENCH_NET_TIMEOUT
# (seconds a run may take, default 600), KVMRUN, BENCH_QEMU.
# Needs root (namespaces, taps); otherwise the section says so and is skipped.
# Exit status: 0 when the section is complete or skipped; 1 when a run failed
# or hung; 2 on a bad BENCH_NET_* value.
set -uo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 1
. bench/common.sh
KVMRUN=${KVMRUN:-./kvmrun}
QEMU=${BENCH_QEMU:-qemu-system-x86_64}
HUNG=${BENCH_NET_TIMEOUT:-600}
L=build/linux
MEM=256
NETPEER=tests/linux/netpeer.py
testhost=
grep -q '^model name.*QEMU TCG CPU' /proc/cpuinfo && testhost=1
RUNS=${BENCH_NET_RUNS:-$([ -n "$testhost" ] && echo 3 || echo 5)}
MIB=${BENCH_NET_MIB:-$([ -n "$testhost" ] && echo 64 || echo 256)}
QEMU_COMMON=(-M pc -accel kvm -cpu host -nodefaults -no-user-config -display none -no-reboot -serial stdio)
MAC=52:54:00:12:34:56

echo
echo "Network: TCP over virtio-net on a tap, kvmrun against QEMU without vhost; the balloon's RSS curve:"
for v in "BENCH_NET_RUNS $RUNS 1000" "BENCH_NET_MIB $MIB 4096"; do
	set -- $v
	case $2 in ''|*[!0-9]*) bad=1 ;; *) [ "$2" -ge 1 ] && [ "$2" -le "$3" ] && bad= || bad=1 ;; esac
	[ -z "$bad" ] || { echo "$1 '$2': not a whole number from 1 to $3" >&2; exit 2; }
done
case $HUNG in ''|*[!0-9]*|0) echo "BENCH_NET_TIMEOUT '$HUNG': not a whole number of seconds" >&2; exit 2 ;; esac
kvm_or_skip
[ "$(id -u)" = 0 ] || { echo "skipped: network namespaces and taps need root"; exit 0; }
[ -x "$KVMRUN" ] || abort "$KVMRUN is missing: run make (make bench does)"
"$KVMRUN" --help 2>&1 | grep -q -- --net || abort "$KVMRUN has no --net option"
tests/linux/build.sh || abort "tests/linux/build.sh could not make the Linux images in $L (see above)"
kver=$(cat build/testvm/kernel-version 2>/dev/null || echo "?")
qemu=1
command -v "$QEMU" > /dev/null || { echo "QEMU rows skipped: $QEMU is not in PATH (apt-get install qemu-system-x86)"; qemu=; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmrun-bench-net.XXXXXX") || abort "cannot make a directory"
NS=kvmrun-bench-$$
cleanup() {
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$NS" || abort "ip netns add failed"
ns() { ip netns exec "$NS" "$@"; }
ns ip link set lo up
ns ip tuntap add dev tap0 mode tap || abort "cannot make a tap (no tun module?)"
ns ip addr add 10.0.2.1/24 dev tap0
ns ip link set tap0 up
sha=$(for ((i = 0; i < MIB; i++)); do cat "$L/payload.bin"; done | sha256sum | cut -d' ' -f1)

NAMES=("kvmrun" "QEMU")
runners=(0)
[ -n "$qemu" ] && runners+=(1)

# net_argv N: runner N's command line.
net_argv() {
	local a="console=ttyS0 quiet kvmrun.test=net,10.0.2.15/24:10.0.2.1:$MIB kvmrun.sink=count"
	case $1 in
	0) argv=("$KVMRUN" --mem "$MEM" --net "tap=tap0,mac=$MAC" --initrd "$L/initrd.gz" --append "$a" "$L/bzImage") ;;
	1) argv=("$QEMU" "${QEMU_COMMON[@]}" -m "$MEM" -netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=off
		-device "virtio-net-pci,netdev=n0,disable-legacy=on,mac=$MAC" -kernel "$L/bzImage" -initrd "$L/initrd.gz" -append "$a") ;;
	esac
}

lines() {
	tr -d '\000\r' < "$1" | awk -f tests/linux/init-lines.awk
}

# runner_pid PID EXE: the first of PID and its descendants (first child each
# time) that runs EXE, the runner under timeout and ip netns exec.
runner_pid() {
	local p=$1 exe
	exe=$(readlink -f "$(command -v "$2")")
	while [ -n "$p" ]; do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$exe" ] && { echo "$p"; return 0; }
		p=$(pgrep -P "$p" | head -n 1)
	done
	return 1
}

# net_run N: one run of runner N; appends Mbit/s to $tmp/DIR.N, and the
# runner's CPU ms per MiB outside and inside the guest to $tmp/DIR.run.N and
# $tmp/DIR.guest.N (tests/linux/netpeer.py samples them), DIR h2g and g2h.
net_run() {
	local n=$1 pid i got dir outside inside s=0
	rm -f "$tmp/g2h" "$tmp"/{g2h,h2g}.secs{,.cpu} "$tmp/g2h.listening" "$tmp/runner"	# not the results
	NETPEER_WATCH=$tmp/runner ns python3 "$NETPEER" recv 5001 "$tmp/g2h" 10.0.2.1 &
	net_argv "$n"
	ns timeout -k 5 "$HUNG" "${argv[@]}" < /dev/null > "$tmp/out" 2> "$tmp/err" &
	pid=$!
	for ((i = 0; i < HUNG * 10; i++)); do
		lines "$tmp/out" | grep -qx "net ready" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	runner_pid "$pid" "${argv[0]}" > "$tmp/runner" || s=1
	[ "$s" -ne 0 ] || NETPEER_WATCH=$tmp/runner ns python3 "$NETPEER" send 10.0.2.15 5002 "$L/payload.bin" "$MIB" "$tmp/h2g.secs" || s=1
	wait "$pid" || s=$?
	got=$(lines "$tmp/out")
	if [ "$s" -ne 0 ] || [ "$(grep -x "got $((MIB << 20)) bytes" <<< "$got")" = "" ] || [ "$(cat "$tmp/g2h" 2>/dev/null)" != "$((MIB << 20)) $sha" ]; then
		echo "${NAMES[n]}: status $s; it printed:"
		sed 's/^/  | /' <<< "$got"
		sed 's/^/  ! /' "$tmp/err"
		abort "${NAMES[n]}: the transfers did not complete with the right bytes"
	fi
	for dir in h2g g2h; do
		awk -v m="$MIB" -v s="$(cat "$tmp/$dir.secs")" 'BEGIN { printf "%.1f\n", m * 8 * 1.048576 / s }' >> "$tmp/$dir.$n"
		read -r outside inside < "$tmp/$dir.secs.cpu" || abort "${NAMES[n]}: no CPU times in $tmp/$dir.secs.cpu"
		awk -v m="$MIB" -v c="$outside" 'BEGIN { printf "%.1f\n", c / m }' >> "$tmp/$dir.run.$n"
		awk -v m="$MIB" -v c="$inside" 'BEGIN { printf "%.1f\n", c / m }' >> "$tmp/$dir.guest.$n"
	done
}

# way DIR: h2g or g2h in words.
way() {
	[ "$1" = h2g ] && echo "host to guest" || echo "guest to host"
}

machine
echo "kernel $kver (guest); $MEM MiB; $MIB MiB each way a run, $RUNS runs; kvmrun: $KVMRUN"
[ -n "$testhost" ] && echo "note: in the test host the defaults are smaller (64 MiB, 3 runs; outside it 256 MiB, 5): BENCH_NET_* set them"
[ -n "$qemu" ] && echo "QEMU: $("$QEMU" --version | head -n 1): ${QEMU_COMMON[*]} -netdev tap,ifname=TAP,vhost=off -device virtio-net-pci,disable-legacy=on"

for n in "${runners[@]}"; do net_run "$n"; done
echo "warm-up: every runner moved $MIB MiB each way (the host checked the SHA-256 of what the guest sent, the guest counted what it got)"
rm -f "$tmp"/h2g.* "$tmp"/g2h.*
for ((r = 0; r < RUNS; r++)); do
	for n in "${runners[@]}"; do net_run "$n"; done
done

met=0 goals=0
printf '%-28s %10s %10s %10s %5s\n' "Mbit/s (median min max)" median min max runs
for dir in h2g g2h; do
	for n in "${runners[@]}"; do
		read -r med lo hi < <(summary "$tmp/$dir.$n")
		printf '%-28s %10s %10s %10s %5s\n' "${NAMES[n]} $(way $dir)" "$med" "$lo" "$hi" "$RUNS"
		eval "med_${dir}_$n=$med"
	done
	if [ -n "$qemu" ]; then
		a=$(eval echo "\$med_${dir}_0") b=$(eval echo "\$med_${dir}_1")
		r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
		v=MISS
		awk -v r="$r" 'BEGIN { exit !(r >= 1) }' && v=PASS && met=$((met + 1))
		goals=$((goals + 1))
		echo "$v: kvmrun $(way $dir) ${r}x QEMU's throughput (goal >= 1)"
	fi
done
# Where the time went: throughput is the pace of the slowest part, which in
# an emulated guest is the guest; the runner's own CPU per MiB is its part.
echo "CPU ms per MiB, median (min-max), during each transfer: the runner's threads outside the guest (its device model, KVM's exits, the tap) and the guest's time"
for dir in h2g g2h; do
	for n in "${runners[@]}"; do
		read -r med lo hi < <(summary "$tmp/$dir.run.$n")
		read -r gmed glo ghi < <(summary "$tmp/$dir.guest.$n")
		printf '%-28s runner %s (%s-%s)  guest %s (%s-%s)\n' "${NAMES[n]} $(way $dir)" "$med" "$lo" "$hi" "$gmed" "$glo" "$ghi"
	done
done

# --- the balloon's RSS curve ---
# rss_curve N: runner N (0 kvmrun, 1 QEMU) with a balloon; prints "label t RSS" samples.
rss_curve() {
	local n=$1 pid p t=0 phase=boot
	rm -f "$tmp/in"
	mkfifo "$tmp/in"
	exec 5<>"$tmp/in"
	local a="console=ttyS0 quiet kvmrun.test=meminfo"
	if [ "$n" = 0 ]; then
		argv=("$KVMRUN" --mem 1G --device virtio-balloon --initrd "$L/initrd.gz" --append "$a" "$L/bzImage")
	else
		argv=("$QEMU" "${QEMU_COMMON[@]}" -m 1G -device virtio-balloon-pci,free-page-reporting=on,disable-legacy=on
			-kernel "$L/bzImage" -initrd "$L/initrd.gz" -append "$a")
	fi
	timeout -k 5 "$HUNG" "${argv[@]}" < "$tmp/in" > "$tmp/out" 2> "$tmp/err" &
	pid=$!
	sleep 0.5
	p=$(pgrep -P "$pid" | head -n 1)
	rss() { awk '$1 == "VmRSS:" { print int($2 / 1024) }' "/proc/$p/status" 2>/dev/null; }
	for ((i = 0; i < HUNG * 10; i++)); do
		lines "$tmp/out" | grep -qx "meminfo ready" && break
		sleep 0.1
	done
	for step in "boot 3" "fill 512" "free" "after 20"; do
		set -- $step
		case $1 in
		fill) echo "fill $2" >&5 ;;
		free) echo free >&5 ;;
		esac
		local until=$(( ${2:-0} ))
		case $1 in
		fill|free)
			while ! lines "$tmp/out" | grep -qx "$([ "$1" = fill ] && echo filled || echo freed)"; do sleep 0.2; done
			echo "${NAMES[n]} $1 $(rss)"
			;;
		*)
			for ((s = 1; s <= until; s++)); do
				sleep 1
				[ $((s % 4)) -eq 0 ] || [ "$s" = "$until" ] && [ "$1" = after ] && echo "${NAMES[n]} free+${s}s $(rss)"
			done
			[ "$1" = boot ] && echo "${NAMES[n]} boot $(rss)"
			;;
		esac
	done
	echo end >&5
	wait "$pid"
	exec 5>&-
}
echo "RSS MiB of the runner, 1 GiB guest (free page reporting): boot, after filling 512 MiB of tmpfs, after freeing it, 20 s later"
for n in "${runners[@]}"; do rss_curve "$n"; done
[ "$goals" -gt 0 ] && echo "goals met: $met of $goals"
exit 0
