#!/usr/bin/env bash
# bench/snapshot.sh: the snapshot section of `make bench` (last), run from
# anywhere; it works in the repository root.
#
# The guest is bench/long_snap.bin (--mode long, 2 vCPUs, the AP left waiting
# for SIPI): with --append "T s" it writes one quadword into each page of T
# MiB, then asks port 0xf0 to save the VM and end; resumed (or started cold
# with --append T, which skips the request) it prints "ok\n" at once, makes
# kvmrun write it out, reads back its pages and prints "pages P sum S\n",
# then exits 0. Every run's stdout is compared byte for byte with what that
# guest must print (computed here) and its status must be 0.
#
# bench/firstbyte times each run from just before the spawn to the first
# byte on kvmrun's stdout (the "ok"), and to its exit. Three parts:
#   1. Restore to first output, 512 MiB and 2 vCPUs, touched T MiB
#      (BENCH_SNAP_TOUCH, default 16): `kvmrun --restore FILE` against a
#      cold start of the same guest to the same output (`kvmrun --mem 512M
#      --cpus 2 --mode long --append T`: start-up, then touching the pages;
#      the restore skips both). A third row, the cold start with nothing
#      touched (--append 0), is kvmrun's start-up floor. Goal: at most 5 ms
#      on a host with hardware KVM (judged where KVM is not nested under
#      QEMU's TCG; elsewhere the ratio to the cold start is the figure).
#   2. How restore scales with RAM: the same guest saved with --mem 256M,
#      1G, 2G and 8G (BENCH_SNAP_SIZES), each restored to first output (with
#      -v, whose line gives kvmrun's own restore time, from opening the file
#      to the state set in KVM, shown beside). Goal: flat, the largest's
#      median at most 1.2x the smallest's. Each save's own time (-v) is shown
#      too: saving scans all of RAM.
#   3. Snapshot write time and file size against RAM touched: 512 MiB, 2
#      vCPUs, 1, 16 and 64 MiB touched (BENCH_SNAP_TOUCHES); the time is
#      kvmrun's own (-v: "written in X ms", from the vCPUs stopped to the
#      file complete), the size both as the file's length (du
#      --apparent-size) and as the blocks it takes (du); ratio = write time
#      / the least touched row's. Each file is restored once and checked.
# Runs are interleaved (so all share the machine's noise) after one checked
# warm-up run each; tables give median, min and max in ms and N. The
# snapshot files live in a temporary directory under TMPDIR (default /tmp;
# its file system is named in the output): restore maps the file, so where it
# lives matters (the page cache is warm after the first run here).
#
# Environment: BENCH_SNAP_RUNS (timed runs in parts 1 and 2, 1-1000, default
# 10), BENCH_SNAP_SAVES (timed saves per row in part 3, 1-1000, default 5),
# BENCH_SNAP_TOUCH (MiB, default 16), BENCH_SNAP_SIZES (default "256M 1G 2G
# 8G"), BENCH_SNAP_TOUCHES (MiB, default "1 16 64"), BENCH_SNAP_TIMEOUT
# (seconds a run may take before it counts as hung, default 300), KVMRUN
# (default ./kvmrun).
# Exit status: 0 when the section is complete (a MISS is a result, not an
# error) or skipped (no usable /dev/kvm); 1 when a run failed, hung or printed
# something else; 2 on a bad BENCH_SNAP_* value.
set -uo pipefail
export LC_ALL=C	# printf %f with a '.'

cd "$(dirname "$0")/.." || exit 1
. bench/common.sh
KVMRUN=${KVMRUN:-./kvmrun}
RUNS=${BENCH_SNAP_RUNS:-10}
SAVES=${BENCH_SNAP_SAVES:-5}
TOUCH=${BENCH_SNAP_TOUCH:-16}
SIZES=${BENCH_SNAP_SIZES:-256M 1G 2G 8G}
TOUCHES=${BENCH_SNAP_TOUCHES:-1 16 64}
HUNG=${BENCH_SNAP_TIMEOUT:-300}
GUEST=bench/long_snap.bin
FB=bench/firstbyte
MEM=512M
CPUS=2
GOAL_MS=5
GOAL_FLAT=1.20
BASE_MIB=4	# the guest touches from 4 MiB up

echo
echo "Snapshots: restore to first output, against a cold start and across RAM sizes; writing, against RAM touched:"
whole BENCH_SNAP_RUNS "$RUNS" 1000
whole BENCH_SNAP_SAVES "$SAVES" 1000
whole BENCH_SNAP_TIMEOUT "$HUNG" 86400
for t in $TOUCH $TOUCHES; do
	whole "BENCH_SNAP_TOUCH(ES)" "$t" 4096
done
for m in $SIZES; do
	case $m in
	[1-9]*[MG]) ;;
	*) echo "BENCH_SNAP_SIZES '$m': say a size in M or G, as --mem takes it (256M, 8G)" >&2; exit 2 ;;
	esac
done
kvm_or_skip
[ -x "$KVMRUN" ] || abort "$KVMRUN is missing: run make (make bench does)"
[ -f "$GUEST" ] || abort "$GUEST is missing: run make $GUEST (make bench does)"
[ -x "$FB" ] || abort "$FB is missing: run make $FB (make bench does)"
export FIRSTBYTE_TIMEOUT=$HUNG

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmrun-bench-snap.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the machine ---
machine
echo "host memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); guest RAM is reserved"\
     "(MAP_NORESERVE) and only pages touched take memory, so larger guests than that still run"
echo "snapshot files: in $tmp ($(stat -f -c %T "$tmp")); the guest: $GUEST, --mode long, --cpus $CPUS (the AP waits for SIPI)"

# want MIB: what the guest prints when it touched MIB MiB (as its own loop computes the sum).
want() {
	local pages=$(($1 * 256)) s=$((0x811c9dc5)) i
	for ((i = 0; i < pages; i++)); do
		s=$(( ((s * 0x01000193) & 0xffffffff) ^ ((BASE_MIB << 20) + i * 4096) ))
	done
	printf 'ok\npages %08x sum %08x\n' "$pages" "$s"
}

# fb NAME ARG...: one run of ARG... under bench/firstbyte, stdout to
# $tmp/out, stderr to $tmp/err; sets first and total (ms) and s (status).
fb() {
	local name=$1 line
	shift
	line=$("$FB" "$tmp/out" "$@" 2> "$tmp/err") || { sed 's/^/  ! /' "$tmp/err"; abort "$name: $FB failed"; }
	read -r first total s <<< "$line"
}

# failed NAME WHAT: show the last run's output and abort.
failed() {
	echo "$1: status $s; it printed (| stdout, ! stderr):"
	sed 's/^/  | /' "$tmp/out"
	sed 's/^/  ! /' "$tmp/err"
	abort "$1: $2"
}

# check NAME WANT ARG...: one run that must exit 0 and print WANT's file exactly.
check() {
	local name=$1 wantf=$2
	shift 2
	fb "$name" "$@"
	[ "$s" = 0 ] || failed "$name" "status $s, not 0"
	cmp -s "$wantf" "$tmp/out" || { echo "expected on stdout:"; sed 's/^/  | /' "$wantf"; failed "$name" "output as expected: no"; }
}

# save MEM MIB FILE: the guest with --mem MEM touches MIB MiB and saves to
# FILE (with -v); sets save_ms (kvmrun's "written in"), save_kib (RAM
# written) and total. Aborts unless it ended as a save must.
save() {
	local name="save --mem $1, $2 MiB touched" line
	fb "$name" "$KVMRUN" -v --mem "$1" --cpus "$CPUS" --mode long --append "$2 s" --snapshot-on-port "$3" "$GUEST"
	[ "$s" = 0 ] || failed "$name" "status $s, not 0"
	[ -s "$tmp/out" ] && failed "$name" "it printed before its snapshot"
	grep -qxF "kvmrun: saved to '$3'; the run ends (kvmrun --restore $3 resumes it)" "$tmp/err" ||
		failed "$name" "no 'saved to' line"
	line=$(sed -n "s/^kvmrun: snapshot ([^)]*) to '.*' written in \([0-9.]*\) ms: \([0-9]*\) KiB of RAM's.*/\1 \2/p" "$tmp/err")
	[ -n "$line" ] || failed "$name" "no 'written in' line from -v"
	read -r save_ms save_kib <<< "$line"
}

# own_restore_ms: kvmrun's own restore time from the last run's -v line.
own_restore_ms() {
	sed -n "s/^kvmrun: restored from '.*' in \([0-9.]*\) ms:.*/\1/p" "$tmp/err"
}

# row CELLS...: one table row.
row() {
	local out='|' c
	for c; do
		out+=" $c |"
	done
	echo "$out"
}

# kib FILE: "apparent allocated", KiB (du --apparent-size, du).
kib() {
	echo "$(du -k --apparent-size "$1" | cut -f1) $(du -k "$1" | cut -f1)"
}

under_tcg=no
grep -q '^model name.*QEMU TCG CPU' /proc/cpuinfo && under_tcg=yes
met=0 goals=0
med=() own=() wm=() sv_app=() sv_alloc=()

# --- 1. restore against a cold start, 512 MiB, 2 vCPUs ---
echo
echo "1. Restore to first output: --mem $MEM --cpus $CPUS, $TOUCH MiB touched; spawn to the guest's first byte on stdout."
want "$TOUCH" > "$tmp/want1"
want 0 > "$tmp/want0"
snap1=$tmp/s512.snap
save "$MEM" "$TOUCH" "$snap1"
echo "saved: $save_kib KiB of RAM written in $save_ms ms (kvmrun -v); the file: $(kib "$snap1" | awk '{ print $1 " KiB long, " $2 " KiB allocated" }')"
cold=("$KVMRUN" --mem "$MEM" --cpus "$CPUS" --mode long --append "$TOUCH" "$GUEST")
rest=("$KVMRUN" --restore "$snap1")
bare=("$KVMRUN" --mem "$MEM" --cpus "$CPUS" --mode long --append 0 "$GUEST")
check "cold start" "$tmp/want1" "${cold[@]}"
check "cold start, nothing touched" "$tmp/want0" "${bare[@]}"
check "restore" "$tmp/want1" "$KVMRUN" -v --restore "$snap1"
own1=$(own_restore_ms)
echo "output as expected: yes (\"ok\" and the pages' sum, from the cold starts and the restore; all status 0)"
: > "$tmp/c.first"; : > "$tmp/c.total"; : > "$tmp/r.first"; : > "$tmp/r.total"; : > "$tmp/b.first"; : > "$tmp/b.total"
for ((i = 0; i < RUNS; i++)); do
	check "cold start" "$tmp/want1" "${cold[@]}"
	echo "$first" >> "$tmp/c.first"; echo "$total" >> "$tmp/c.total"
	check "restore" "$tmp/want1" "${rest[@]}"
	echo "$first" >> "$tmp/r.first"; echo "$total" >> "$tmp/r.total"
	check "cold start, nothing touched" "$tmp/want0" "${bare[@]}"
	echo "$first" >> "$tmp/b.first"; echo "$total" >> "$tmp/b.total"
done
read -r cm cmin cmax < <(summary "$tmp/c.first" 3)
read -r rm rmin rmax < <(summary "$tmp/r.first" 3)
read -r bm bmin bmax < <(summary "$tmp/b.first" 3)
read -r bt _ < <(summary "$tmp/b.total" 1)
read -r ct _ < <(summary "$tmp/c.total" 1)
read -r rt _ < <(summary "$tmp/r.total" 1)
echo
row run command "first byte, median ms" "min ms" "max ms" N "/ cold start" "to exit, median ms"
echo "|---|---|--:|--:|--:|--:|--:|--:|"
row "cold start" "kvmrun --mem $MEM --cpus $CPUS --mode long --append $TOUCH $GUEST" "$cm" "$cmin" "$cmax" "$RUNS" 1.00 "$ct"
row "restore" "kvmrun --restore FILE" "$rm" "$rmin" "$rmax" "$RUNS" "$(ratio "$rm" "$cm")" "$rt"
row "cold start, nothing touched" "kvmrun --mem $MEM --cpus $CPUS --mode long --append 0 $GUEST" "$bm" "$bmin" "$bmax" "$RUNS" "$(ratio "$bm" "$cm")" "$bt"
echo
echo "restore / cold start with nothing touched (kvmrun's start-up floor): $(ratio "$rm" "$bm")"
echo "kvmrun's own restore time (-v, the warm-up run: opening the file to the state set in KVM): $own1 ms"
if [ "$under_tcg" = yes ]; then
	echo "goal (at most $GOAL_MS ms on hardware KVM): not judged here, KVM is nested under QEMU's TCG; restore / cold start = $(ratio "$rm" "$cm")"
else
	goals=$((goals + 1))
	if awk -v r="$rm" -v g="$GOAL_MS" 'BEGIN { exit !(r <= g) }'; then v=PASS; met=$((met + 1)); else v=MISS; fi
	echo "goal: restore to first output $rm ms (at most $GOAL_MS ms on hardware KVM; see the machine line): $v"
fi

# --- 2. restore across RAM sizes ---
echo
echo "2. Restore to first output against RAM size: --cpus $CPUS, $TOUCH MiB touched, saved once at each size;"
echo "   kvmrun -v --restore FILE, whose -v line gives kvmrun's own restore time (opening the file to the state set in KVM)."
read -r -a sizes <<< "$SIZES"
for n in "${!sizes[@]}"; do
	save "${sizes[n]}" "$TOUCH" "$tmp/s$n.snap"
	sv_ms[n]=$save_ms
	sv_total[n]=$total
	read -r "sv_app[$n]" "sv_alloc[$n]" < <(kib "$tmp/s$n.snap")
	check "restore ${sizes[n]}" "$tmp/want1" "$KVMRUN" -v --restore "$tmp/s$n.snap"
	: > "$tmp/t$n"; : > "$tmp/o$n"
done
echo "output as expected: yes (every size's warm-up restore)"
for ((i = 0; i < RUNS; i++)); do
	for n in "${!sizes[@]}"; do
		check "restore ${sizes[n]}" "$tmp/want1" "$KVMRUN" -v --restore "$tmp/s$n.snap"
		echo "$first" >> "$tmp/t$n"
		own_restore_ms >> "$tmp/o$n"
	done
done
echo
row RAM "restore, first byte, median ms" "min ms" "max ms" N "/ ${sizes[0]}" "kvmrun's own restore, median ms (min-max)" "/ ${sizes[0]}" \
	"save: written ms (-v)" "save run, spawn to exit ms" "file KiB, apparent / allocated"
echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
for n in "${!sizes[@]}"; do
	read -r "med[$n]" mn mx < <(summary "$tmp/t$n" 3)
	read -r "own[$n]" omn omx < <(summary "$tmp/o$n" 3)
	row "${sizes[n]}" "${med[n]}" "$mn" "$mx" "$RUNS" "$(ratio "${med[n]}" "${med[0]}")" "${own[n]} ($omn-$omx)" \
		"$(ratio "${own[n]}" "${own[0]}")" "${sv_ms[n]}" "${sv_total[n]}" "${sv_app[n]} / ${sv_alloc[n]}"
done
last=$((${#sizes[@]} - 1))
r=$(ratio "${med[last]}" "${med[0]}")
goals=$((goals + 1))
if awk -v r="$r" -v g="$GOAL_FLAT" 'BEGIN { exit !(r <= g) }'; then v=PASS; met=$((met + 1)); else v=MISS; fi
echo
echo "goal: flat, restore at ${sizes[last]} / at ${sizes[0]} = $r (at most $GOAL_FLAT): $v"
echo "information: a save reads only the RAM pages kvmrun touched (snapshot/save.c: write_ram, /proc/self/pagemap): its time follows RAM used, not RAM size."

# --- 3. writing against RAM touched ---
echo
echo "3. Snapshot write time and file size against RAM touched: --mem $MEM --cpus $CPUS; kvmrun's own time (-v)."
read -r -a touches <<< "$TOUCHES"
for n in "${!touches[@]}"; do
	want "${touches[n]}" > "$tmp/want.t$n"
	: > "$tmp/w$n"; : > "$tmp/wt$n"
done
for ((i = 0; i < SAVES; i++)); do
	for n in "${!touches[@]}"; do
		save "$MEM" "${touches[n]}" "$tmp/w$n.snap"
		echo "$save_ms" >> "$tmp/w$n"
		echo "$total" >> "$tmp/wt$n"
		wk[n]=$save_kib
	done
done
for n in "${!touches[@]}"; do
	check "restore of the ${touches[n]} MiB save" "$tmp/want.t$n" "$KVMRUN" --restore "$tmp/w$n.snap"
done
echo "output as expected: yes (each last save restored once: \"ok\" and its pages' sum, status 0)"
echo
row "RAM touched" "written, median ms" "min ms" "max ms" N "/ ${touches[0]} MiB" "RAM written KiB (-v)" "file KiB, apparent (du --apparent-size)" "file KiB, allocated (du)" "save run, spawn to exit, median ms"
echo "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
for n in "${!touches[@]}"; do
	read -r "wm[$n]" mn mx < <(summary "$tmp/w$n" 3)
	read -r tm _ < <(summary "$tmp/wt$n" 1)
	read -r app alloc < <(kib "$tmp/w$n.snap")
	row "${touches[n]} MiB" "${wm[n]}" "$mn" "$mx" "$SAVES" "$(ratio "${wm[n]}" "${wm[0]}")" "${wk[n]}" "$app" "$alloc" "$tm"
done
echo
echo "RAM written counts the image's and page tables' pages besides the ones touched; no goal for this part."
echo
echo "$met of $goals goals met."
