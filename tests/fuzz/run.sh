#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS NAME...: for each target, replay its committed
# regression inputs (tests/fuzz/regress/NAME/), then fuzz it for SECONDS from
# a scratch copy of its seed corpus (tests/fuzz/corpus/NAME/), starting again
# after a crash until the time is spent (at most FUZZ_MAX_CRASHES crash files,
# default 5). Prints per target "fuzz NAME: N execs, M findings", where a
# finding is a crash, timeout, out-of-memory or leak file libFuzzer wrote, or
# a regression input that still fails; those files are copied to
# tests/fuzz/findings/NAME/ (emptied first: it holds the last run's). While
# fuzzing, the properties that failing regression inputs break are muted
# (FUZZ_KNOWN, see fuzz_util.h), so a known bug does not hide new ones.
# Exits 1 if any target has a finding.
# Run from the top of the repository (make fuzz does).
set -uo pipefail

seconds=${1:?usage: tests/fuzz/run.sh SECONDS NAME...}
shift
max_crashes=${FUZZ_MAX_CRASHES:-5}
dir=tests/fuzz
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kvmrun-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
total_findings=0

# Per-target options: the longest input worth trying.
max_len() {
	case $1 in
	elf|multiboot|linux) echo 20000 ;;
	io) echo 4096 ;;
	virtq) echo 8192 ;;
	net) echo 4096 ;;
	gdb) echo 12000 ;;
	range) echo 32 ;;
	*) echo 512 ;;
	esac
}

# Files libFuzzer wrote for a finding (not slow-unit-*, which is only slow).
count_findings() {
	find "$1" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l
}

for name in "$@"; do
	bin=$dir/fuzz_$name
	work=$scratch/$name
	mkdir -p "$work/corpus" "$work/artifacts" "$dir/findings/$name"
	rm -f "$dir/findings/$name"/*	# findings/ holds the last run's
	cp "$dir/corpus/$name"/* "$work/corpus/" 2>/dev/null
	execs=0 findings=0 replayed=0 failed=0

	# The committed reproducers: each must run clean. The properties those that
	# fail still break are known bugs: fuzzing looks past them (FUZZ_KNOWN).
	known=
	for f in "$dir/regress/$name"/*; do
		[ -f "$f" ] || continue
		replayed=$((replayed + 1))
		if ! FUZZ_KNOWN= "$bin" "$f" >"$work/regress.log" 2>&1; then
			failed=$((failed + 1))
			cp "$f" "$dir/findings/$name/regress-$(basename "$f")"
			echo "fuzz $name: regression input $f still fails:" >&2
			grep -m3 -E 'ERROR|runtime error|property failed' "$work/regress.log" >&2
			known="$known $(sed -n 's/^\([^ :]*:[0-9]*\): property failed.*/\1/p' "$work/regress.log" | head -1)"
		fi
	done
	[ "$replayed" -eq 0 ] || echo "fuzz $name: $replayed regression inputs replayed, $failed fail"
	known=$(echo $known | tr ' ' '\n' | sort -u | tr '\n' ' ')
	[ -z "${known// }" ] || echo "fuzz $name: fuzzing past the known failures of ${known% }"

	start=$SECONDS
	crashes=0
	while :; do
		left=$((seconds - (SECONDS - start)))
		[ "$left" -gt 0 ] || break
		log=$work/run.log
		before=$(count_findings "$work/artifacts")
		FUZZ_KNOWN="$known" "$bin" -max_total_time="$left" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
			-max_len="$(max_len "$name")" -use_value_profile=1 -artifact_prefix="$work/artifacts/" \
			"$work/corpus" >"$log" 2>&1
		status=$?
		n=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
		[ -n "$n" ] || n=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
		execs=$((execs + ${n:-0}))
		[ "$status" -ne 0 ] || break
		crashes=$((crashes + 1))
		if [ "$(count_findings "$work/artifacts")" -eq "$before" ]; then
			# Stopped without a crash file: libFuzzer itself failed. Say so and count it.
			echo "fuzz $name: libFuzzer failed (status $status) without a crash file:" >&2
			tail -5 "$log" >&2
			failed=$((failed + 1))
			break
		fi
		echo "fuzz $name: libFuzzer stopped (status $status):" >&2
		grep -m5 -E 'ERROR|runtime error|property failed|SUMMARY|Test unit written' "$log" >&2
		cp "$log" "$dir/findings/$name/libfuzzer-$crashes.log"
		[ "$crashes" -lt "$max_crashes" ] || break
	done
	for f in "$work/artifacts"/crash-* "$work/artifacts"/timeout-* "$work/artifacts"/oom-* "$work/artifacts"/leak-*; do
		[ -f "$f" ] || continue
		findings=$((findings + 1))
		cp "$f" "$dir/findings/$name/"
	done
	findings=$((findings + failed))
	total_findings=$((total_findings + findings))
	echo "fuzz $name: $execs execs, $findings findings"
done
[ "$total_findings" -eq 0 ]
