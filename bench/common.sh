# shellcheck shell=bash
# bench/common.sh: what bench/linux.sh and bench/smp.sh share; sourced, from
# the repository root.

abort() {
	echo "aborted: $*"
	exit 1
}

# ms_since T0: sets ms to the milliseconds from EPOCHREALTIME T0 to now. It
# reads the clock first and forks nothing (a $(...) would count its fork).
ms_since() {
	local t1=$EPOCHREALTIME us
	us=$((10#${t1/./} - 10#${1/./}))
	# shellcheck disable=SC2034 # the caller reads ms
	printf -v ms '%d.%03d' $((us / 1000)) $((us % 1000))
}

# summary FILE [DECIMALS]: "median min max" of the numbers in FILE, one a
# line, with DECIMALS places (default 1).
summary() {
	sort -g "$1" | awk -v d="${2:-1}" '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		f = "%." d "f"
		printf f " " f " " f "\n", m, v[1], v[NR] }'
}

# kvm_or_skip: as bench/bench, /dev/kvm must open for reading and writing
# (never created here); otherwise say why and end the section with status 0.
kvm_or_skip() {
	local why
	if ! [ -c /dev/kvm ]; then
		echo "skipped: /dev/kvm: $([ -e /dev/kvm ] && echo "not a character device" || echo "No such file or directory")"
		exit 0
	elif ! why=$( (exec 3<> /dev/kvm) 2>&1 ); then
		echo "skipped: /dev/kvm: ${why##*: }"
		exit 0
	fi
}
