# shellcheck shell=bash
# bench/common.sh: what the bench/*.sh scripts
# share; sourced, from the repository root.

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

# machine: the machine in one line (CPU model, CPUs online, kernel, KVM
# module, whether /dev/kvm is nested), and a note under QEMU's TCG; sets
# online to the CPUs online.
machine() {
	local model module m tdp nested
	model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
	online=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)
	module=
	for m in kvm_intel kvm_amd kvm_pvm; do
		[ -d "/sys/module/$m" ] && module+="${module:+, }$m"
	done
	tdp=$(cat /sys/module/kvm/parameters/tdp_mmu 2>/dev/null) && module+=" (tdp_mmu=$tdp)"
	if grep -q '^model name.*QEMU TCG CPU' /proc/cpuinfo; then
		nested="nested under QEMU's TCG (software emulation)"
	elif grep -q '^flags.* hypervisor\( \|$\)' /proc/cpuinfo; then
		nested="nested (the CPU reports a hypervisor), not under TCG"
	else
		nested="not nested (no hypervisor flag)"
	fi
	echo "machine: ${model:-unknown CPU}, $online CPU$([ "$online" = 1 ] || echo s) online, kernel $(uname -r); /dev/kvm: ${module:-KVM built in}, $nested"
	if grep -q '^model name.*QEMU TCG CPU' /proc/cpuinfo; then
		echo "note: this CPU is QEMU's software emulation (TCG; the test host of tests/vm): KVM here is nested under it, every VM exit costs tens of microseconds, and times vary with the machine's load"
	fi
}

# ratio A B: A / B to two decimals (0 when B is 0).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

# whole NAME VALUE MAX: exit 2 unless VALUE is a whole number from 1 to MAX.
whole() {
	case $2 in
	''|*[!0-9]*|0*) ;;
	*) [ "${#2}" -le 6 ] && [ "$2" -le "$3" ] && return ;;
	esac
	echo "$1 '$2': not a whole number from 1 to $3" >&2
	exit 2
}
