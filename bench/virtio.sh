#!/usr/bin/env bash
# bench/virtio.sh: the virtio section of `make bench` (after bench/smp.sh),
# run from anywhere; it works in the repository root.
#
# Debian's kernel and the test initramfs (build/linux, made by
# tests/linux/build.sh), 256 MiB of guest RAM; tests/linux/init does the
# work and times it on the guest's clock (kvm-clock), so boot and exit are
# not counted:
#   1. Disk: kvmrun.test=bench-disk,N: N MiB read from /dev/vda, then N MiB
#      written to it, 1 MiB at a time with O_DIRECT (busybox dd iflag=direct,
#      oflag=direct: no guest page cache), on a raw image of N MiB, under
#        kvmrun --disk IMAGE
#        QEMU -M pc -drive if=none,format=raw,cache=none + virtio-blk-pci
#          (modern only, as kvmrun's), cache=none: O_DIRECT on the host
#        QEMU the same with cache=writeback: the host's page cache, as
#          kvmrun uses it (it opens the image without O_DIRECT)
#      Each runner has its own image, filled with zeros (not sparse) in
#      BENCH_VIRTIO_DIR. Where that file system has no O_DIRECT (tmpfs before
#      Linux 6.6, as in the test host) QEMU cache=none cannot open the image:
#      that row is left out and said so.
#   2. Console: kvmrun.test=bench-out,DEV:K: K KiB of zeros written to
#      /dev/DEV 4 KiB at a time, the tty raw, under
#        kvmrun --device virtio-console, DEV hvc0 (virtio-console)
#        kvmrun, DEV ttyS0 (COM1, the 8250 UART: an exit a byte)
#        QEMU -M pc with virtio-serial-pci and virtconsole (hvc0), its
#          chardev a file
#      kvmrun's stdout is a file too. The bytes that arrived are counted.
# First every runner runs once and is checked (the warm-up): status 0, the
# result lines init prints and nothing else, and for the console all the
# bytes. Then BENCH_VIRTIO_RUNS timed runs each, interleaved (so all share the
# machine's noise). MB/s is 10^6 bytes a second; tables give median, min and
# max, N, and each median's ratio to the reference (QEMU's).
#
# Goals: kvmrun's disk read and write at least QEMU's (cache=none where it
# exists, else cache=writeback); kvmrun's hvc0 at least 20x its ttyS0.
#
# Sizes: in the test host of tests/vm (QEMU's software emulation, every VM
# exit tens of microseconds) the defaults are smaller, and the output says
# so: disk 256 MiB (test host 32), hvc0 16 MiB (test host 4), ttyS0 16 MiB
# (test host 128 KiB: 16 MiB through a UART would take hours there), runs 5
# (test host 3).
#
# Environment: BENCH_VIRTIO_RUNS (1-1000), BENCH_VIRTIO_DISK_MIB (1-65536),
# BENCH_VIRTIO_HVC_KIB and BENCH_VIRTIO_TTYS0_KIB (multiples of 4 from 4 to
# 16777216), BENCH_VIRTIO_DIR (where the images go, default $TMPDIR or
# /tmp), BENCH_VIRTIO_TIMEOUT (seconds a run may take before it counts as
# hung, default 600), KVMRUN (default ./kvmrun), BENCH_QEMU (default
# qemu-system-x86_64).
# Exit status: 0 when the section is complete (a MISS is a result, not an
# error) or skipped (no usable /dev/kvm); 1 when a run failed, hung or printed
# something else; 2 on a bad BENCH_VIRTIO_* value.
set -uo pipefail
export LC_ALL=C	# EPOCHREALTIME and printf %f with a '.'

cd "$(dirname "$0")/.." || exit 1
. bench/common.sh
KVMRUN=${KVMRUN:-./kvmrun}
QEMU=${BENCH_QEMU:-qemu-system-x86_64}
HUNG=${BENCH_VIRTIO_TIMEOUT:-600}
L=build/linux
MEM=256
GOAL_HVC=20
testhost=
grep -q '^model name.*QEMU TCG CPU' /proc/cpuinfo && testhost=1
RUNS=${BENCH_VIRTIO_RUNS:-$([ -n "$testhost" ] && echo 3 || echo 5)}
DISK_MIB=${BENCH_VIRTIO_DISK_MIB:-$([ -n "$testhost" ] && echo 32 || echo 256)}
HVC_KIB=${BENCH_VIRTIO_HVC_KIB:-$([ -n "$testhost" ] && echo 4096 || echo 16384)}
TTY_KIB=${BENCH_VIRTIO_TTYS0_KIB:-$([ -n "$testhost" ] && echo 128 || echo 16384)}
DIR=${BENCH_VIRTIO_DIR:-${TMPDIR:-/tmp}}
QEMU_COMMON=(-M pc -accel kvm -cpu host -m "$MEM" -nodefaults -no-user-config -display none -no-reboot -serial stdio)

# number NAME VALUE MAX [STEP]: VALUE is a whole number from STEP (default 1) to MAX, a multiple of STEP.
number() {
	case $2 in
	''|*[!0-9]*) ;;
	*) [ "$2" -ge "${4:-1}" ] && [ "$2" -le "$3" ] && [ $(($2 % ${4:-1})) -eq 0 ] && return 0 ;;
	esac
	echo "$1 '$2': not a whole number from ${4:-1} to $3$([ "${4:-1}" = 1 ] || echo ", a multiple of $4")" >&2
	exit 2
}

echo
echo "Virtio: a virtio-blk disk and the virtio console against QEMU's and against COM1, Debian's kernel (build/linux):"
number BENCH_VIRTIO_RUNS "$RUNS" 1000
number BENCH_VIRTIO_DISK_MIB "$DISK_MIB" 65536
number BENCH_VIRTIO_HVC_KIB "$HVC_KIB" 16777216 4
number BENCH_VIRTIO_TTYS0_KIB "$TTY_KIB" 16777216 4
case $HUNG in ''|*[!0-9]*|0) echo "BENCH_VIRTIO_TIMEOUT '$HUNG': not a whole number of seconds" >&2; exit 2 ;; esac
kvm_or_skip
[ -x "$KVMRUN" ] || abort "$KVMRUN is missing: run make (make bench does)"
"$KVMRUN" --help 2>&1 | grep -q -- --disk || abort "$KVMRUN has no --disk option (--help): this kvmrun has no virtio devices"
tests/linux/build.sh || abort "tests/linux/build.sh could not make the Linux images in $L (see above)"
kver=$(cat build/testvm/kernel-version 2>/dev/null || echo "?")

qemu=1
if ! command -v "$QEMU" > /dev/null; then
	echo "QEMU rows skipped: $QEMU is not in PATH (apt-get install qemu-system-x86); kvmrun alone, no disk ratios"
	qemu=
fi

mkdir -p "$DIR" || abort "cannot make $DIR"
tmp=$(mktemp -d "$DIR/kvmrun-bench-virtio.XXXXXX") || abort "cannot make a directory in $DIR"
trap 'rm -rf "$tmp"' EXIT
fs=$(stat -f -c %T "$tmp" 2>/dev/null || echo "?")
direct=
dd if=/dev/zero of="$tmp/probe" bs=4096 count=1 oflag=direct status=none 2> /dev/null && direct=1
rm -f "$tmp/probe"

# Runners: name, the image (disk) and how each is started.
NAMES=("kvmrun" "QEMU cache=none" "QEMU cache=writeback")
disk_runners=(0)
if [ -n "$qemu" ]; then
	[ -n "$direct" ] && disk_runners+=(1)
	disk_runners+=(2)
fi
ref=
[ -n "$qemu" ] && ref=${disk_runners[1]}

# disk_argv N: runner N's command line for the disk benchmark, in argv.
disk_argv() {
	local a="console=ttyS0 quiet kvmrun.test=bench-disk,$DISK_MIB"
	case $1 in
	0) argv=("$KVMRUN" --mem "$MEM" --disk "$tmp/disk.0" --initrd "$L/initrd.gz" --append "$a" "$L/bzImage") ;;
	1|2)
		local cache=none
		[ "$1" = 2 ] && cache=writeback
		argv=("$QEMU" "${QEMU_COMMON[@]}" -drive "file=$tmp/disk.$1,if=none,id=d0,format=raw,cache=$cache"
			-device "virtio-blk-pci,drive=d0,disable-legacy=on"
			-kernel "$L/bzImage" -initrd "$L/initrd.gz" -append "$a") ;;
	esac
}

# OUT: runners of the console benchmark: kvmrun hvc0, kvmrun ttyS0, QEMU virtconsole.
OUT_NAMES=("kvmrun hvc0 (virtio-console)" "kvmrun ttyS0 (COM1)" "QEMU hvc0 (virtconsole)")
out_runners=(0 1)
[ -n "$qemu" ] && out_runners+=(2)
OUT_KIB=("$HVC_KIB" "$TTY_KIB" "$HVC_KIB")
OUT_DEV=(hvc0 ttyS0 hvc0)

# out_argv N: runner N's command line for the console benchmark, in argv;
# what the guest writes lands in outfile (kvmrun's stdout, QEMU's chardev file).
out_argv() {
	local a="console=ttyS0 quiet kvmrun.test=bench-out,${OUT_DEV[$1]}:${OUT_KIB[$1]}"
	outfile=$tmp/stdout	# run_one's
	case $1 in
	0) argv=("$KVMRUN" --mem "$MEM" --device virtio-console --initrd "$L/initrd.gz" --append "$a" "$L/bzImage") ;;
	1) argv=("$KVMRUN" --mem "$MEM" --initrd "$L/initrd.gz" --append "$a" "$L/bzImage") ;;
	2)
		outfile=$tmp/hvc.2
		argv=("$QEMU" "${QEMU_COMMON[@]}" -device "virtio-serial-pci,disable-legacy=on"
			-chardev "file,id=c0,path=$outfile" -device "virtconsole,chardev=c0"
			-kernel "$L/bzImage" -initrd "$L/initrd.gz" -append "$a") ;;
	esac
}

# lines FILE: what init printed in FILE (tests/linux/init-lines.awk), NUL bytes dropped.
lines() {
	tr -d '\000' < "$1" | awk -f tests/linux/init-lines.awk
}

# run_one NAME: argv once, stdout to $tmp/stdout, stderr to $tmp/stderr;
# aborts unless it ended with status 0.
run_one() {
	local s=0
	timeout -k 5 "$HUNG" "${argv[@]}" < /dev/null > "$tmp/stdout" 2> "$tmp/stderr" || s=$?
	if [ "$s" -ne 0 ]; then
		echo "$1: status $s, not 0; it printed:"
		lines "$tmp/stdout" | sed 's/^/  | /'
		sed 's/^/  ! /' "$tmp/stderr"
		abort "$1 did not run to poweroff"
	fi
}

# disk_run N: one disk run of runner N; appends MB/s to $tmp/read.N and $tmp/write.N.
disk_run() {
	local n=$1 got rb rus wb wus
	dd if=/dev/zero of="$tmp/disk.$n" bs=1M count="$DISK_MIB" status=none 2> /dev/null || abort "cannot write $tmp/disk.$n"
	disk_argv "$n"
	run_one "${NAMES[n]}"
	got=$(lines "$tmp/stdout")
	local re="^bench read ([0-9]+) ([0-9]+)"$'\n'"bench write ([0-9]+) ([0-9]+)\$"
	if ! [[ $got =~ $re ]]; then
		printf '%s\n' "$got" | sed 's/^/  | /'
		abort "${NAMES[n]}: init printed something else than 'bench read BYTES US' and 'bench write BYTES US'"
	fi
	rb=${BASH_REMATCH[1]} rus=${BASH_REMATCH[2]} wb=${BASH_REMATCH[3]} wus=${BASH_REMATCH[4]}
	[ "$rb" -eq $((DISK_MIB << 20)) ] && [ "$wb" -eq $((DISK_MIB << 20)) ] && [ "$rus" -gt 0 ] && [ "$wus" -gt 0 ] ||
		abort "${NAMES[n]}: the guest moved $rb and $wb bytes in $rus and $wus us, not $((DISK_MIB << 20)) each"
	awk -v b="$rb" -v us="$rus" 'BEGIN { printf "%.1f\n", b / us }' >> "$tmp/read.$n"
	awk -v b="$wb" -v us="$wus" 'BEGIN { printf "%.1f\n", b / us }' >> "$tmp/write.$n"
}

# out_run N: one console run of runner N; appends MB/s to $tmp/outmb.N.
out_run() {
	local n=$1 got b us zeros
	out_argv "$n"
	run_one "${OUT_NAMES[n]}"
	got=$(lines "$tmp/stdout")
	if ! [[ $got =~ ^bench\ out\ ${OUT_DEV[n]}\ ([0-9]+)\ ([0-9]+)$ ]]; then
		printf '%s\n' "$got" | sed 's/^/  | /'
		abort "${OUT_NAMES[n]}: init printed something else than 'bench out ${OUT_DEV[n]} BYTES US'"
	fi
	b=${BASH_REMATCH[1]} us=${BASH_REMATCH[2]}
	zeros=$(tr -cd '\000' < "$outfile" | wc -c)
	[ "$b" -eq $((OUT_KIB[n] * 1024)) ] && [ "$zeros" -eq "$b" ] && [ "$us" -gt 0 ] ||
		abort "${OUT_NAMES[n]}: the guest wrote $b bytes in $us us, $zeros arrived; $((OUT_KIB[n] * 1024)) were due"
	rm -f "$outfile"
	awk -v b="$b" -v us="$us" 'BEGIN { printf "%.3f\n", b / us }' >> "$tmp/outmb.$n"
}

# --- what runs ---
machine
echo "kernel $kver (guest); $MEM MiB; kvmrun: $KVMRUN"
[ -n "$testhost" ] && echo "note: in the test host the default sizes are smaller (disk $DISK_MIB MiB, hvc0 $HVC_KIB KiB, ttyS0 $TTY_KIB KiB, $RUNS runs; outside it 256 MiB, 16384 KiB, 16384 KiB, 5): BENCH_VIRTIO_* set them"
echo "images in $DIR ($fs)$([ -n "$direct" ] || echo ": no O_DIRECT there, so no QEMU cache=none row")"
if [ -n "$qemu" ]; then
	echo "QEMU: $("$QEMU" --version | head -n 1)"
	echo "  disk:    $QEMU ${QEMU_COMMON[*]} -drive file=IMAGE,if=none,id=d0,format=raw,cache=none|writeback -device virtio-blk-pci,drive=d0,disable-legacy=on -kernel ... -initrd ... -append ..."
	echo "  console: $QEMU ${QEMU_COMMON[*]} -device virtio-serial-pci,disable-legacy=on -chardev file,id=c0,path=FILE -device virtconsole,chardev=c0 ..."
fi

# --- the warm-up, checked, then the timed runs, interleaved ---
for n in "${disk_runners[@]}"; do disk_run "$n"; done
for n in "${out_runners[@]}"; do out_run "$n"; done
echo "warm-up: every runner ran to poweroff with status 0 and printed its result lines; the consoles delivered every byte"
rm -f "$tmp"/read.* "$tmp"/write.* "$tmp"/outmb.*
for ((i = 0; i < RUNS; i++)); do
	for n in "${disk_runners[@]}"; do disk_run "$n"; done
	for n in "${out_runners[@]}"; do out_run "$n"; done
done

met=0 goals=0
# goal TEXT VALUE MIN: a PASS/MISS line for VALUE >= MIN.
goal() {
	local v=MISS
	goals=$((goals + 1))
	awk -v r="$2" -v g="$3" 'BEGIN { exit !(r >= g) }' && v=PASS && met=$((met + 1))
	echo "goal: $1 = $2 (at least $3): $v"
}

echo
echo "Disk: $DISK_MIB MiB read, then written, 1 MiB requests, O_DIRECT in the guest; MB/s on the guest's clock; $RUNS runs each after the 1 above;"
if [ -n "$ref" ]; then echo "ratio = median / ${NAMES[ref]}'s median."; else echo "no QEMU: no ratio."; fi
echo
printf '| %-22s | %-5s | %9s | %9s | %9s | %4s | %7s |\n' runner op "median" "min" "max" N ratio
printf '|------------------------|-------|----------:|----------:|----------:|-----:|--------:|\n'
declare -A med=()
for op in read write; do
	for n in "${disk_runners[@]}"; do
		read -r m lo hi < <(summary "$tmp/$op.$n")
		med[$op.$n]=$m
	done
	for n in "${disk_runners[@]}"; do
		read -r m lo hi < <(summary "$tmp/$op.$n")
		r=
		[ -n "$ref" ] && r=$(ratio "$m" "${med[$op.$ref]}")
		printf '| %-22s | %-5s | %9s | %9s | %9s | %4s | %7s |\n' "${NAMES[n]}" "$op" "$m" "$lo" "$hi" "$RUNS" "$r"
	done
done

echo
echo "Console: zeros written by the guest 4 KiB at a time, raw tty, to a file on the host; MB/s on the guest's clock;"
echo "$RUNS runs each; ratio = median / kvmrun ttyS0's median."
echo
printf '| %-28s | %10s | %9s | %9s | %9s | %4s | %8s |\n' runner KiB "median" "min" "max" N ratio
printf '|------------------------------|-----------:|----------:|----------:|----------:|-----:|---------:|\n'
declare -A omed=()
for n in "${out_runners[@]}"; do
	read -r m lo hi < <(summary "$tmp/outmb.$n" 3)
	omed[$n]=$m
done
for n in "${out_runners[@]}"; do
	read -r m lo hi < <(summary "$tmp/outmb.$n" 3)
	printf '| %-28s | %10s | %9s | %9s | %9s | %4s | %8s |\n' "${OUT_NAMES[n]}" "${OUT_KIB[n]}" "$m" "$lo" "$hi" "$RUNS" "$(ratio "$m" "${omed[1]}")"
done
echo
if [ -n "$ref" ]; then
	goal "disk read, kvmrun / ${NAMES[ref]}" "$(ratio "${med[read.0]}" "${med[read.$ref]}")" 1.00
	goal "disk write, kvmrun / ${NAMES[ref]}" "$(ratio "${med[write.0]}" "${med[write.$ref]}")" 1.00
fi
goal "kvmrun hvc0 / kvmrun ttyS0" "$(ratio "${omed[0]}" "${omed[1]}")" "$GOAL_HVC"
[ "$HVC_KIB" = "$TTY_KIB" ] || echo "      (hvc0 moved $HVC_KIB KiB a run, ttyS0 $TTY_KIB KiB: MB/s compares them)"
echo
echo "$met of $goals goals met."
