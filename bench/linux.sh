#!/usr/bin/env bash
# bench/linux.sh: the Linux section of `make bench` (after bench/bench), run
# from anywhere; it works in the repository root.
#
# Debian's kernel and the test initramfs (build/linux, made by
# tests/linux/build.sh), command line "console=ttyS0 quiet kvmrun.test=hello":
# init prints "hello from init" and powers off. Start to poweroff under
#   kvmrun with the bzImage
#   kvmrun with the vmlinux (its PVH entry: no decompression)
#   QEMU -M microvm (qboot; QEMU_MICROVM below) with the bzImage
#   QEMU -M pc (SeaBIOS) with the bzImage
# all with 256 MiB, -accel kvm -cpu host. First each runs once and the lines
# init printed (kernel log lines and firmware output dropped) must be the
# same for all four, with status 0; those runs are the warm-up. Then
# BENCH_LINUX_RUNS (default 5) timed runs of each, interleaved (so all share
# the machine's noise), wall-clock from spawn to exit, stdout to /dev/null;
# a run that does not exit 0 aborts. The table gives median, min and max in
# ms and the ratio to QEMU microvm's median.
#
# Goals: kvmrun's bzImage boot at most 0.8x QEMU microvm's; the vmlinux boot
# faster than the bzImage boot; kvmrun's host memory beyond the guest pages
# it touched at most 5 MiB. Then where kvmrun's time goes (--stats of one
# bzImage boot) and the memory measurement (see memory() below).
#
# Environment: BENCH_LINUX_RUNS (1-1000), KVMRUN (default ./kvmrun),
# BENCH_QEMU (default qemu-system-x86_64), BENCH_LINUX_TIMEOUT (seconds a
# boot may take before it counts as hung, default 300).
# Exit status: 0 when the section is complete (a MISS is a result, not an
# error) or skipped (no usable /dev/kvm); 1 when a run failed, hung or the
# outputs differ; 2 on a bad BENCH_LINUX_RUNS.
set -uo pipefail
export LC_ALL=C	# EPOCHREALTIME and printf %f with a '.'

cd "$(dirname "$0")/.." || exit 1
. bench/common.sh
KVMRUN=${KVMRUN:-./kvmrun}
QEMU=${BENCH_QEMU:-qemu-system-x86_64}
RUNS=${BENCH_LINUX_RUNS:-5}
HUNG=${BENCH_LINUX_TIMEOUT:-300}
L=build/linux
APPEND="console=ttyS0 quiet kvmrun.test=hello"
MEM=256
GOAL_RATIO=0.80
GOAL_OVERHEAD_KB=5120
# QEMU as a fast microVM runner would start it: microvm with qboot loading
# the kernel from fw_cfg itself (no option ROMs), no PIT, PIC or RTC (the
# kernel uses the IOAPIC, the LAPIC timer and kvm-clock), COM1 on stdio;
# hardware-reduced ACPI stays on, it is how this kernel powers off there.
QEMU_MICROVM=microvm,x-option-roms=off,pit=off,pic=off,rtc=off
# -display none rather than -nographic: with -nographic SeaBIOS (pc) copies
# its screen to COM1 (sercon), escape sequences and banner included.
QEMU_COMMON=(-accel kvm -cpu host -m "$MEM" -nodefaults -no-user-config -display none -no-reboot -serial stdio)
NAMES=("kvmrun bzImage" "kvmrun vmlinux (PVH)" "QEMU microvm" "QEMU pc")
SHOWN=("kvmrun --initrd initrd.gz --append '...' bzImage"
	"kvmrun --initrd initrd.gz --append '...' vmlinux"
	"qemu -M microvm,... -kernel bzImage -initrd initrd.gz"
	"qemu -M pc -kernel bzImage -initrd initrd.gz")

# argv_of N [ARG...]: runner N's command line in the array argv; kvmrun's
# extra options (ARG...) go before the image.
argv_of() {
	local n=$1
	shift
	case $n in
	0) argv=("$KVMRUN" "$@" --initrd "$L/initrd.gz" --append "$APPEND" "$L/bzImage") ;;
	1) argv=("$KVMRUN" "$@" --initrd "$L/initrd.gz" --append "$APPEND" "$L/vmlinux") ;;
	2) argv=("$QEMU" -M "$QEMU_MICROVM" "${QEMU_COMMON[@]}" -kernel "$L/bzImage" -initrd "$L/initrd.gz" -append "$APPEND") ;;
	3) argv=("$QEMU" -M pc "${QEMU_COMMON[@]}" -kernel "$L/bzImage" -initrd "$L/initrd.gz" -append "$APPEND") ;;
	esac
}

# init_lines < OUTPUT: what init printed (tests/linux/init-lines.awk, as tests/linux/qemu.bats reads it).
init_lines() {
	awk -f tests/linux/init-lines.awk
}

echo
echo "Linux: Debian's kernel and a busybox initramfs (build/linux), start to poweroff, kvmrun against QEMU:"
case $RUNS in
''|*[!0-9]*|0) echo "BENCH_LINUX_RUNS '$RUNS': not a whole number from 1 to 1000" >&2; exit 2 ;;
esac
[ "$RUNS" -le 1000 ] || { echo "BENCH_LINUX_RUNS '$RUNS': not a whole number from 1 to 1000" >&2; exit 2; }
kvm_or_skip
[ -x "$KVMRUN" ] || abort "$KVMRUN is missing: run make (make bench does)"
tests/linux/build.sh || abort "tests/linux/build.sh could not make the Linux images in $L (see above)"
kver=$(cat build/testvm/kernel-version 2>/dev/null || echo "?")

runners=(0 1 2 3)
if ! command -v "$QEMU" > /dev/null; then
	echo "QEMU rows skipped: $QEMU is not in PATH (apt-get install qemu-system-x86); kvmrun alone, no ratios"
	runners=(0 1)
elif ! "$QEMU" -M help 2>/dev/null | grep -q '^microvm '; then
	abort "$QEMU has no microvm machine (-M help): QEMU 4.2 or later is needed"
fi
has_qemu() { [ ${#runners[@]} -eq 4 ]; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kvmrun-bench-linux.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# --- outputs first (these runs are the warm-up) ---
for n in "${runners[@]}"; do
	argv_of "$n"
	s=0
	timeout -k 5 "$HUNG" "${argv[@]}" < /dev/null > "$tmp/out.$n" 2> "$tmp/err.$n" || s=$?
	init_lines < "$tmp/out.$n" > "$tmp/lines.$n"
	if [ "$s" -ne 0 ]; then
		echo "${NAMES[n]}: status $s, not 0; it printed:"
		sed 's/^/  /' "$tmp/lines.$n" "$tmp/err.$n"
		abort "${NAMES[n]} did not boot to poweroff"
	fi
	if ! cmp -s "$tmp/lines.0" "$tmp/lines.$n" || ! [ -s "$tmp/lines.0" ]; then
		echo "init's lines under ${NAMES[0]}:"
		sed 's/^/  | /' "$tmp/lines.0"
		echo "init's lines under ${NAMES[n]}:"
		sed 's/^/  | /' "$tmp/lines.$n"
		abort "output identical: no"
	fi
done
list=
for n in "${runners[@]}"; do list+="${list:+, }${NAMES[n]}"; done
printf 'output identical: yes (init printed "%s" and every run ended with status 0: %s)\n' "$(paste -sd'|' "$tmp/lines.0")" "$list"
echo "kernel $kver; command line \"$APPEND\"; $MEM MiB; kvmrun: $KVMRUN (its defaults: --mem 256M for Linux)"
grep -q '^model name.*QEMU TCG CPU' /proc/cpuinfo &&
	echo "note: this CPU is QEMU's software emulation (TCG; the test host of tests/vm): KVM here is nested under it, boots take seconds, not the tenths of a second of hardware KVM, and times vary with the machine's load"
if has_qemu; then
	echo "QEMU: $("$QEMU" --version | head -n 1)"
	echo "  microvm: $QEMU -M $QEMU_MICROVM ${QEMU_COMMON[*]} -kernel $L/bzImage -initrd $L/initrd.gz -append '$APPEND'"
	echo "  pc:      $QEMU -M pc ${QEMU_COMMON[*]} (the same -kernel, -initrd, -append)"
fi

# --- timed runs, interleaved ---
echo "Wall-clock ms from spawn to exit, $RUNS timed runs each after the 1 above, interleaved; ratio = median / QEMU microvm's median."
echo
for ((i = 0; i < RUNS; i++)); do
	for n in "${runners[@]}"; do
		argv_of "$n"
		s=0
		t0=$EPOCHREALTIME
		timeout -k 5 "$HUNG" "${argv[@]}" < /dev/null > /dev/null 2> "$tmp/err.$n" || s=$?
		ms_since "$t0"
		[ "$s" -eq 0 ] || { sed 's/^/  /' "$tmp/err.$n"; abort "${NAMES[n]} exited with status $s, not 0 (run $((i + 1)))"; }
		echo "$ms" >> "$tmp/times.$n"
	done
done
med=() min=() max=()
for n in "${runners[@]}"; do
	read -r "med[$n]" "min[$n]" "max[$n]" < <(summary "$tmp/times.$n")
done
printf '| %-20s | %-53s | %9s | %9s | %9s | %4s | %10s |\n' runner command "median ms" "min ms" "max ms" N "/ microvm"
printf '|----------------------|-------------------------------------------------------|----------:|----------:|----------:|-----:|-----------:|\n'
for n in "${runners[@]}"; do
	r=
	has_qemu && r=$(awk -v a="${med[n]}" -v b="${med[2]}" 'BEGIN { printf "%.2f", a / b }')
	printf '| %-20s | %-53s | %9s | %9s | %9s | %4s | %10s |\n' "${NAMES[n]}" "${SHOWN[n]}" "${med[n]}" "${min[n]}" "${max[n]}" "$RUNS" "$r"
done
echo
met=0 goals=0
if has_qemu; then
	r=$(awk -v a="${med[0]}" -v b="${med[2]}" 'BEGIN { printf "%.2f", a / b }')
	goals=$((goals + 1))
	if awk -v r="$r" -v g="$GOAL_RATIO" 'BEGIN { exit !(r <= g) }'; then v=PASS; met=$((met + 1)); else v=MISS; fi
	echo "goal: kvmrun bzImage / QEMU microvm = $r (at most $GOAL_RATIO): $v"
fi
goals=$((goals + 1))
if awk -v a="${med[1]}" -v b="${med[0]}" 'BEGIN { exit !(a < b) }'; then v=PASS; met=$((met + 1)); else v=MISS; fi
echo "goal: kvmrun vmlinux faster than kvmrun bzImage: ${med[1]} ms against ${med[0]} ms: $v"

# --- where kvmrun's time goes ---
echo
echo "Where kvmrun's time goes: one bzImage boot with --stats (exits by reason and port, time in KVM_RUN, setup):"
argv_of 0 --stats
s=0
t0=$EPOCHREALTIME
timeout -k 5 "$HUNG" "${argv[@]}" < /dev/null > /dev/null 2> "$tmp/stats" || s=$?
ms_since "$t0"
[ "$s" -eq 0 ] || { sed 's/^/  /' "$tmp/stats"; abort "kvmrun --stats exited with status $s"; }
awk -v wall="$ms" '
	/^kvmrun: stats: [0-9]+ exits$/ { total = $3 }
	/^kvmrun: stats:   port 0x/ {
		if ($4 ~ /^0x0cf[89a-f]$/) pci += $6
		if ($0 ~ /\(no device\)$/) nodev += $6
		next
	}
	/^kvmrun: stats:   [A-Za-z_]+ +[0-9]+$/ { reasons = reasons sprintf("%s%s %s", reasons == "" ? "" : ", ", $3, $4) }
	/time in KVM_RUN/ { run = $6; tot = $9; setup = $(NF - 1) }
	END {
		printf "  wall %.0f ms; kvmrun counted %.0f ms from main to exit: setup (KVM, loading, tables) %.1f ms, in KVM_RUN %.0f ms (%.1f%%), the rest (exits handled in kvmrun, exit) %.0f ms\n", wall, tot * 1000, setup * 1000, run * 1000, tot ? 100 * run / tot : 0, (tot - run - setup) * 1000
		printf "  %d exits: %s\n", total, reasons
		if (total) printf "  ports with no device: %d accesses, %d of them PCI configuration (0xcf8-0xcff; writes to 0xcf8 take no exit where KVM coalesces them)\n", nodev, pci
	}' "$tmp/stats"
echo "  busiest ports (accesses, port, direction, device):"
grep '^kvmrun: stats:   port 0x' "$tmp/stats" | sort -k6,6nr | head -n 8 |
	awk '{ d = $7; for (i = 8; i <= NF; i++) d = d " " $i; printf "    %8d  %s %-3s  %s\n", $6, $4, $5, d }'

# --- memory ---
# sampler ERRFILE LIMIT_S RAM_MIB ARG...: runs ARG... once (stdin and stdout
# on /dev/null, stderr to ERRFILE), reading its /proc/PID/smaps and
# /proc/PID/status every 5 ms until it exits. Guest RAM is the unnamed
# anonymous mapping of at least RAM_MIB (kvmrun maps all of it at once, so does
# QEMU); its Rss is the guest pages touched so far, as KVM faults them in
# through that mapping. Everything else resident, anonymous or file-backed, is
# the runner's own. Prints the largest seen of each: status, samples, total
# Rss, guest RAM Rss, own Rss, own anonymous, own file-backed; and VmHWM.
# VmHWM and ru_maxrss (GNU time's %M) are not what the table shows: Linux
# updates the RSS counters behind them lazily (per thread, every 64 faults),
# and carries the peak of the process before the exec into ru_maxrss.
sampler() {
	python3 - "$@" <<-'EOF'
	import os, shutil, sys, time
	errfile, limit, ram_kb, argv = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]) * 1024, sys.argv[4:]
	acts = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
	        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
	        (os.POSIX_SPAWN_OPEN, 2, errfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
	target = os.stat(shutil.which(argv[0]) or argv[0])
	pid = os.posix_spawnp(argv[0], argv, dict(os.environ), file_actions=acts)
	t_end = time.monotonic() + limit
	n = hwm = guest = total_max = own = own_anon = own_file = 0
	while True:
	    done, status = os.waitpid(pid, os.WNOHANG)
	    if done:
	        break
	    if time.monotonic() > t_end:
	        os.kill(pid, 9)
	    try:
	        # posix_spawn may return before the exec: a sample of Python is no sample.
	        exe = os.stat(f"/proc/{pid}/exe")
	        if (exe.st_dev, exe.st_ino) != (target.st_dev, target.st_ino):
	            time.sleep(0.001)
	            continue
	        with open(f"/proc/{pid}/smaps") as f:
	            smaps = f.read()
	        with open(f"/proc/{pid}/status") as f:
	            st = f.read()
	    except OSError:
	        time.sleep(0.005)
	        continue
	    vmas, cur = [], None
	    for line in smaps.splitlines():
	        w = line.split()
	        if not w:
	            continue
	        if not w[0].endswith(":"):
	            cur = {"name": " ".join(w[5:]), "size": 0, "rss": 0}
	            vmas.append(cur)
	        elif w[0] == "Size:" and cur is not None:
	            cur["size"] = int(w[1])
	        elif w[0] == "Rss:" and cur is not None:
	            cur["rss"] = int(w[1])
	    if not vmas:
	        time.sleep(0.005)
	        continue
	    # Guest RAM: unnamed, at least --mem / -m large; none once the runner unmapped it at exit.
	    g = sum(v["rss"] for v in vmas if v["name"] == "" and v["size"] >= ram_kb)
	    total = sum(v["rss"] for v in vmas)
	    fb = sum(v["rss"] for v in vmas if v["name"].startswith("/"))
	    for line in st.splitlines():
	        if line.startswith("VmHWM:"):
	            hwm = max(hwm, int(line.split()[1]))
	    n += 1
	    guest, total_max, own = max(guest, g), max(total_max, total), max(own, total - g)
	    own_anon, own_file = max(own_anon, total - g - fb), max(own_file, fb)
	    time.sleep(0.005)
	code = os.waitstatus_to_exitcode(status)
	print(code, n, total_max, guest, own, own_anon, own_file, hwm)
	EOF
}

# memory NAME STATUS RAM_MIB ARG...: one table row for ARG..., which must end
# with STATUS; own_kb is its largest own RSS.
memory() {
	local name=$1 want=$2 mib=$3 s n total guest own anon file
	shift 3
	read -r s n total guest own anon file _ < <(sampler "$tmp/mem.err" "$HUNG" "$mib" "$@")
	if [ "${s:-x}" != "$want" ]; then
		sed 's/^/  /' "$tmp/mem.err"
		abort "$name: status ${s:-unknown}, not $want (under the memory sampler)"
	fi
	[ "$n" -gt 0 ] || abort "$name: it ended before the first sample"
	printf '| %-34s | %7d | %9d | %9d | %8d | %9d | %9d | %7d |\n' "$name" "$mib" "$total" "$guest" \
		"$own" "$anon" "$file" "$n"
	own_kb=$own anon_kb=$anon
}

echo
echo "Host memory, one run each: RSS sampled every 5 ms from /proc/PID/smaps and /proc/PID/status. Guest RSS:"
echo "the guest RAM mapping's resident pages (the guest pages touched); own: all other resident pages, anonymous"
echo "and file-backed (kvmrun maps the kernel and initrd files while it loads them), the largest seen; kB."
echo "Not in RSS: KVM's memory in the host kernel (page tables, memslots, the VM and VCPU)."
if ! command -v python3 > /dev/null; then
	echo "skipped: python3 is not installed (the sampler is Python)"
	echo
	echo "$met of $goals goals met."
	exit 0
fi
echo
printf '| %-34s | %7s | %9s | %9s | %8s | %9s | %9s | %7s |\n' run "RAM MiB" "RSS" "guest RSS" "own" "own anon" "own file" samples
printf '|------------------------------------|--------:|----------:|----------:|---------:|----------:|----------:|--------:|\n'
# The spin guest loops until --timeout: status 124, after 0.5 s of samples.
memory "kvmrun spin.bin (tiny guest)" 124 16 "$KVMRUN" --timeout 0.5 tests/guests/spin.bin
worst_anon=$anon_kb worst_own=$own_kb worst_at="the tiny guest"
for m in 256 1024; do
	argv_of 0 --mem "${m}M"
	memory "kvmrun bzImage, --mem ${m}M" 0 "$m" "${argv[@]}"
	[ "$anon_kb" -gt "$worst_anon" ] && worst_anon=$anon_kb
	[ "$own_kb" -gt "$worst_own" ] && worst_own=$own_kb worst_at="the bzImage, --mem ${m}M"
done
argv_of 1
memory "kvmrun vmlinux, --mem 256M" 0 256 "${argv[@]}"
[ "$anon_kb" -gt "$worst_anon" ] && worst_anon=$anon_kb
[ "$own_kb" -gt "$worst_own" ] && worst_own=$own_kb worst_at="the vmlinux"
if has_qemu; then
	argv_of 2
	memory "QEMU microvm, -m 256 (reference)" 0 256 "${argv[@]}"
fi
echo
echo "The largest of each column over the run, in kB. own = RSS less guest RAM; own anon = heap, stack, data,"
echo "the kvm_run page: memory kvmrun allocates; own file = pages of mapped files: kvmrun's binary and libraries,"
echo "and the guest's kernel and initrd files while they are loaded (page cache, shared and clean, unmapped before"
echo "the guest runs)."
goals=$((goals + 1))
if [ "$worst_anon" -le "$GOAL_OVERHEAD_KB" ]; then v=PASS; met=$((met + 1)); else v=MISS; fi
echo "goal: kvmrun's own memory beyond the guest pages it touched, anonymous, worst run: $worst_anon kB (at most $GOAL_OVERHEAD_KB kB): $v"
echo "      with mapped files counted too, worst run: $worst_own kB ($worst_at)"
echo
echo "$met of $goals goals met."
