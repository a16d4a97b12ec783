#!/usr/bin/env bash
# bench/smp.sh: the --cpus section of `make bench` (after bench/linux.sh), run
# from anywhere; it works in the repository root.
#
# What several vCPUs cost: each comparison times the same guest with --cpus 1
# and with --cpus 4, wall-clock from spawn to exit:
#   1. guest/hello.bin, the APs idle: `kvmrun guest/hello.bin` against
#      `kvmrun --cpus 4 guest/hello.bin`, whose guest never starts CPUs 1-3
#      (three more vCPUs, each on a thread that waits for INIT and SIPI).
#      A third row, `kvmrun --irqchip guest/hello.bin`, shows what the
#      in-kernel irqchip alone costs (one CPU; --cpus 4 turns it on, and a
#      flat guest's default is off), so the ratio splits into its two parts.
#      BENCH_SMP_RUNS runs each.
#   2. tests/guests/long_smp.bin, the APs started and working: `kvmrun --cpus
#      1 --mode long` against `--cpus 4`: the guest starts every AP with
#      INIT-SIPI-SIPI, one at a time, each prints a line, and every CPU adds 1
#      to a shared counter 100000 times with lock inc, so the 4-CPU run does
#      4x the increments and 3 AP start-ups. BENCH_SMP_RUNS runs each.
#   3. Linux (build/linux, made by tests/linux/build.sh, as bench/linux.sh
#      boots it: the bzImage, initrd.gz, "console=ttyS0 quiet
#      kvmrun.test=hello"; init prints "hello from init" and powers off),
#      `kvmrun --cpus 1` against `--cpus 4`. BENCH_SMP_LINUX_RUNS runs each.
# First each command runs once and its output and status are checked (the
# warm-up): exactly "Hello from a kvmrun guest!" and status 0 for 1; the lines
# tests/smp.bats expects and status 0 for 2; init's lines exactly "hello from
# init" (tests/linux/init-lines.awk) and status 0 for 3. Then the timed runs,
# interleaved (so all share the machine's noise), stdin and stdout on
# /dev/null; a run that does not exit 0 aborts. Each table gives median, min
# and max in ms, N, and the ratio of each median to the 1-CPU median.
#
# Goal: the idle APs cost little: hello with --cpus 4 at most 1.2x hello
# with one CPU (a PASS/MISS line). Comparisons 2 and 3 are information, no
# goal. The machine is stated first: CPU model, CPUs online, kernel, KVM
# module, and whether /dev/kvm is nested (under QEMU's TCG, or another
# hypervisor).
#
# A run is timed without timeout(1) in front of it: its fork and exec would
# be a large part of a bare guest's few milliseconds (over 100 ms of a 200 ms
# run in the test host). A watchdog beside the runs kills one still running
# after BENCH_SMP_TIMEOUT seconds instead.
#
# Environment: BENCH_SMP_RUNS (1-1000, default 20), BENCH_SMP_LINUX_RUNS
# (1-1000, default 3), BENCH_SMP_LINUX (1, the default, or 0: skip the Linux
# comparison), BENCH_SMP_TIMEOUT (seconds a run may take before it counts as
# hung, 1-86400, default 300), KVMRUN (default ./kvmrun).
# Exit status: 0 when the section is complete (a MISS is a result, not an
# error) or skipped (no usable /dev/kvm); 1 when a run failed, hung or printed
# something else; 2 on a bad BENCH_SMP_* value.
set -uo pipefail
export LC_ALL=C	# EPOCHREALTIME and printf %f with a '.'

cd "$(dirname "$0")/.." || exit 1
. bench/common.sh
KVMRUN=${KVMRUN:-./kvmrun}
RUNS=${BENCH_SMP_RUNS:-20}
LINUX_RUNS=${BENCH_SMP_LINUX_RUNS:-3}
LINUX=${BENCH_SMP_LINUX:-1}
HUNG=${BENCH_SMP_TIMEOUT:-300}
CPUS=4
GOAL_RATIO=1.20
HELLO=guest/hello.bin
SMP=tests/guests/long_smp.bin
L=build/linux
APPEND="console=ttyS0 quiet kvmrun.test=hello"

echo
echo "SMP: --cpus $CPUS against one vCPU, start to exit:"
whole BENCH_SMP_RUNS "$RUNS" 1000
whole BENCH_SMP_LINUX_RUNS "$LINUX_RUNS" 1000
whole BENCH_SMP_TIMEOUT "$HUNG" 86400
case $LINUX in
0|1) ;;
*) echo "BENCH_SMP_LINUX '$LINUX': say 1 (boot Linux too, the default) or 0 (skip it)" >&2; exit 2 ;;
esac
kvm_or_skip
[ -x "$KVMRUN" ] || abort "$KVMRUN is missing: run make (make bench does)"
[ -f "$HELLO" ] || abort "$HELLO is missing: run make (make bench does)"
[ -f "$SMP" ] || abort "$SMP is missing: run make $SMP (make bench does; it needs tests/guests/long_smp.S)"
if [ "$LINUX" = 1 ]; then
	tests/linux/build.sh || abort "tests/linux/build.sh could not make the Linux images in $L (see above)"
fi

# --- the machine ---
machine
[ "$online" -lt "$CPUS" ] 2>/dev/null &&
	echo "note: $CPUS vCPU threads on $online CPU$([ "$online" = 1 ] || echo s): a guest that keeps its CPUs busy gets them in turns, not side by side"
echo "Wall-clock ms from spawn to exit, stdin and stdout on /dev/null; timed runs interleaved after one checked"
echo "warm-up run each; ratio = median / the 1-CPU median."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmrun-bench-smp.XXXXXX") || exit 1
mkfifo "$tmp/tick" || exit 1
# watchdog: kills the run whose PID is in $tmp/pid once the same PID has been
# there HUNG seconds, and leaves $tmp/hung. It ticks on a FIFO nobody writes
# to (read -t), so it forks nothing between runs.
watchdog() {
	local p last='' n=0
	exec 3<> "$tmp/tick"
	while :; do
		read -r -t 1 -u 3 _
		p=
		read -r p < "$tmp/pid" 2> /dev/null
		if [ -z "$p" ] || [ "$p" != "$last" ]; then
			last=$p n=0
			continue
		fi
		n=$((n + 1))
		if [ "$n" -ge "$HUNG" ] && kill -0 "$p" 2> /dev/null; then
			echo "$p" > "$tmp/hung"
			kill -KILL "$p" 2> /dev/null
		fi
	done
}
: > "$tmp/pid"
watchdog &
wd=$!
cleanup() {
	local p=
	kill "$wd" 2> /dev/null
	read -r p < "$tmp/pid" 2> /dev/null
	[ -n "$p" ] && kill -TERM "$p" 2> /dev/null && wait "$p" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run NAME OUT ARG...: runs ARG..., stdin /dev/null, stdout to OUT, stderr to
# $tmp/err; sets s (its status) and ms (spawn to exit). Aborts when it hung.
run() {
	local name=$1 out=$2 pid t0
	shift 2
	s=0
	t0=$EPOCHREALTIME
	"$@" < /dev/null > "$out" 2> "$tmp/err" &
	pid=$!
	echo "$pid" > "$tmp/pid"
	wait "$pid" 2> /dev/null || s=$?	# no "Killed" from bash: the abort below says it
	ms_since "$t0"
	: > "$tmp/pid"
	if [ -e "$tmp/hung" ]; then
		sed 's/^/  /' "$tmp/err"
		abort "$name was still running after $HUNG s (BENCH_SMP_TIMEOUT): hung, killed"
	fi
}

# compare TITLE DECIMALS TIMES WHAT: warm up and time the commands that
# argv_of 0..K-1 gives (K = ${#NAMES[@]}; 0 is the 1-CPU run), named by NAMES
# and shown as SHOWN; WANT[n] is the file of what run n must print (init's
# lines when INIT_LINES is set). WHAT says what that is in the output line. Then the
# table; sets med (the medians).
compare() {
	local title=$1 dec=$2 times=$3 what=$4 n i mn mx
	echo
	echo "$title"
	for n in "${!NAMES[@]}"; do
		argv_of "$n"
		run "${SHOWN[n]}" "$tmp/out" "${argv[@]}"
		if [ -n "${INIT_LINES:-}" ]; then
			awk -f tests/linux/init-lines.awk "$tmp/out" > "$tmp/got"
		else
			cp "$tmp/out" "$tmp/got"
		fi
		if [ "$s" -ne 0 ] || ! cmp -s "${WANT[n]}" "$tmp/got"; then
			echo "${NAMES[n]}: ${SHOWN[n]}: status $s; it printed (| stdout$([ -n "${INIT_LINES:-}" ] && echo ", init's lines"), ! stderr):"
			sed 's/^/  | /' "$tmp/got"
			sed 's/^/  ! /' "$tmp/err"
			echo "expected status 0 and on stdout:"
			sed 's/^/  | /' "${WANT[n]}"
			[ "$s" -ne 0 ] && abort "${SHOWN[n]}: status $s, not 0"
			abort "output as expected: no (${SHOWN[n]}, compared byte for byte)"
		fi
		: > "$tmp/times.$n"
	done
	echo "output as expected: yes ($what; every warm-up run ended with status 0)"
	for ((i = 0; i < times; i++)); do
		for n in "${!NAMES[@]}"; do
			argv_of "$n"
			run "${SHOWN[n]}" /dev/null "${argv[@]}"
			if [ "$s" -ne 0 ]; then
				sed 's/^/  /' "$tmp/err"
				abort "${SHOWN[n]}: status $s, not 0 (timed run $((i + 1)))"
			fi
			echo "$ms" >> "$tmp/times.$n"
		done
	done
	med=()
	echo
	printf '| %-24s | %-62s | %9s | %9s | %9s | %4s | %6s |\n' run command "median ms" "min ms" "max ms" N ratio
	printf '|--------------------------|----------------------------------------------------------------|----------:|----------:|----------:|-----:|-------:|\n'
	for n in "${!NAMES[@]}"; do
		read -r "med[$n]" mn mx < <(summary "$tmp/times.$n" "$dec")
		printf '| %-24s | %-62s | %9s | %9s | %9s | %4s | %6s |\n' "${NAMES[n]}" "${SHOWN[n]}" "${med[n]}" \
			"$mn" "$mx" "$times" "$(ratio "${med[n]}" "${med[0]}")"
	done
	echo
}

met=0 goals=0

# --- 1. hello: the APs never started ---
printf 'Hello from a kvmrun guest!\n' > "$tmp/want.hello"
NAMES=("1 CPU" "1 CPU, in-kernel irqchip" "$CPUS CPUs, APs idle")
SHOWN=("$KVMRUN $HELLO" "$KVMRUN --irqchip $HELLO" "$KVMRUN --cpus $CPUS $HELLO")
WANT=("$tmp/want.hello" "$tmp/want.hello" "$tmp/want.hello")
INIT_LINES=
argv_of() {
	case $1 in
	0) argv=("$KVMRUN" "$HELLO") ;;
	1) argv=("$KVMRUN" --irqchip "$HELLO") ;;
	2) argv=("$KVMRUN" --cpus "$CPUS" "$HELLO") ;;
	esac
}
compare "1. A bare guest, the APs idle: $HELLO prints a line and exits; with --cpus $CPUS, CPUs 1-$((CPUS - 1)) wait for a SIPI that never comes:" \
	3 "$RUNS" 'each printed exactly "Hello from a kvmrun guest!"'
goals=$((goals + 1))
r=$(ratio "${med[2]}" "${med[0]}")
if awk -v r="$r" -v g="$GOAL_RATIO" 'BEGIN { exit !(r <= g) }'; then v=PASS; met=$((met + 1)); else v=MISS; fi
echo "goal: hello with --cpus $CPUS / with 1 CPU = $r (at most $GOAL_RATIO): $v"
awk -v a="${med[0]}" -v b="${med[1]}" -v c="${med[2]}" -v n="$CPUS" 'BEGIN {
	printf "      the difference, %+.3f ms: the in-kernel irqchip (--cpus %d turns it on) %+.3f ms, then the %d idle vCPUs and their threads %+.3f ms\n", c - a, n, b - a, n - 1, c - b }'

# --- 2. long_smp: every AP started, all counting ---
# want_smp N: what long_smp prints with N CPUs (as tests/smp.bats expects it).
want_smp() {
	local i
	printf 'cpus=%02x\n' "$1"
	for ((i = 1; i < $1; i++)); do
		printf 'cpu %02x up\n' "$i"
	done
	printf 'total=%08x\n' $(($1 * 100000))
}
want_smp 1 > "$tmp/want.smp1"
want_smp "$CPUS" > "$tmp/want.smp$CPUS"
NAMES=("1 CPU" "$CPUS CPUs, APs started")
SHOWN=("$KVMRUN --cpus 1 --mode long $SMP" "$KVMRUN --cpus $CPUS --mode long $SMP")
WANT=("$tmp/want.smp1" "$tmp/want.smp$CPUS")
argv_of() {
	case $1 in
	0) argv=("$KVMRUN" --cpus 1 --mode long "$SMP") ;;
	1) argv=("$KVMRUN" --cpus "$CPUS" --mode long "$SMP") ;;
	esac
}
compare "2. A bare guest, the APs working: $SMP starts each AP (INIT-SIPI-SIPI, one at a time), then every CPU adds 1 to one counter 100000 times (lock inc):" \
	3 "$RUNS" "the lines tests/smp.bats expects: \"cpus=01\" ... \"total=$(printf %08x 100000)\", \"cpus=$(printf %02x "$CPUS")\" ... \"total=$(printf %08x $((CPUS * 100000)))\""
echo "information, no goal: the $CPUS-CPU run starts $((CPUS - 1)) APs, one after the other, and does $CPUS x 100000 locked increments"
echo "on one shared counter (its cache line moves between the CPUs), the 1-CPU run 100000; ratio $(ratio "${med[1]}" "${med[0]}")."

# --- 3. Linux ---
if [ "$LINUX" = 1 ]; then
	kver=$(cat build/testvm/kernel-version 2>/dev/null || echo "?")
	echo "hello from init" > "$tmp/want.linux"
	NAMES=("1 CPU, Linux" "$CPUS CPUs, Linux")
	SHOWN=("$KVMRUN --cpus 1 --initrd initrd.gz --append '...' bzImage" "$KVMRUN --cpus $CPUS --initrd initrd.gz --append '...' bzImage")
	WANT=("$tmp/want.linux" "$tmp/want.linux")
	INIT_LINES=yes
	argv_of() {
		local c=1
		[ "$1" = 1 ] && c=$CPUS
		argv=("$KVMRUN" --cpus "$c" --initrd "$L/initrd.gz" --append "$APPEND" "$L/bzImage")
	}
	compare "3. Linux $kver (the bzImage in $L, kvmrun's default 256 MiB), command line \"$APPEND\", start to poweroff:" \
		1 "$LINUX_RUNS" 'init printed exactly "hello from init", as tests/linux/init-lines.awk extracts it'
	echo "information, no goal: the $CPUS-CPU kernel starts $((CPUS - 1)) more CPUs (INIT-SIPI-SIPI, each through its own"
	echo "bring-up and per-CPU setup) before init runs; ratio $(ratio "${med[1]}" "${med[0]}")."
else
	echo
	echo "3. Linux: skipped (BENCH_SMP_LINUX=0)"
fi

echo
echo "$met of $goals goals met."
