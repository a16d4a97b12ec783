# Shared by every tests/*.bats file: load helpers
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
[ -f "$ROOT/kvm.h" ] || ROOT="$(cd "$ROOT/.." && pwd)"	# tests/hostile is one level deeper
KVMRUN="${KVMRUN:-$ROOT/kvmrun}"	# make check-asan runs the suite on a sanitizer build
G="$ROOT/tests/guests"
USAGE="usage: kvmrun [OPTIONS] GUEST (kvmrun --help lists the options)"
export ROOT KVMRUN G USAGE

# Tests that start a VM call this first: no KVM means a loud skip, not a mystery.
need_kvm() {
	[ -e /dev/kvm ] || skip "no /dev/kvm on this machine: load the KVM module (kvm_intel/kvm_amd), or run the suite with make test, which uses the test host (tests/vm)"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not readable and writable by $(id -un): add the user to the kvm group"
}

# need_linux [FILE...]: build/linux's kernel and initramfs, and each FILE there
# (tests/linux/build.sh makes them; make test runs it): a failure when missing.
need_linux() {
	local f
	for f in bzImage initrd.gz "$@"; do
		[ -s "$ROOT/build/linux/$f" ] && continue
		echo "# no Linux test images in $ROOT/build/linux ($f): run tests/linux/build.sh (make test does)" >&3
		return 1
	done
}

# On AMD SVM (kvm_amd), KVM reinitialises the vCPU after a SHUTDOWN intercept, so
# a triple fault leaves no registers to show: the dump then says so in one line.
# Intel VMX and PVM keep the state at the fault and kvmrun shows it.
REGS_LOST="kvmrun:   registers lost: this KVM reset the CPU when it shut down (AMD SVM does), so its state at the fault is unknown"
SHUTDOWN_LINE="kvmrun: guest fault: triple fault: the CPU shut down (KVM_EXIT_SHUTDOWN)"
export REGS_LOST SHUTDOWN_LINE

# shutdown_lost_registers: true when this run ended in KVM_EXIT_SHUTDOWN on
# kvm_amd, where the dump must be exactly the line above and nothing more. A test
# checks the registers in the other case.
shutdown_lost_registers() {
	[ "${stderr_lines[0]}" = "$SHUTDOWN_LINE" ] && [ -d /sys/module/kvm_amd ] || return 1
	[ "${stderr_lines[1]:-}" = "$REGS_LOST" ] || { echo "# expected the registers-lost line, got: ${stderr_lines[1]:-}" >&2; return 2; }
	[ "${#stderr_lines[@]}" -eq 2 ] || { echo "# the dump goes on after the registers-lost line" >&2; return 2; }
}

# TIME_SCALE: how many times a fast KVM this host's guest exits take, at least
# 1. Outer timeouts (which only catch hangs) are written for a fast KVM and
# multiplied by it, so a slow host (nested PVM about 9 us an exit, the test
# host of tests/vm 50-70 us) fails a hang as surely and passes a slow run.
# Measured once a run: 65536 exits (bytes64k, start-up included, so never
# less than the truth), after one untimed run that warms the caches, against
# 10 us an exit. A run with no usable KVM uses 1.
time_scale() {
	local cache="${BATS_RUN_TMPDIR:-/tmp}/kvmrun-time-scale" t0 t1 us
	if [ ! -s "$cache" ]; then
		us=0
		if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
			timeout 600 "$KVMRUN" "$ROOT/guest/hello.bin" > /dev/null 2>&1 < /dev/null
			t0=$(date +%s%N)
			timeout 600 "$KVMRUN" "$G/bytes64k.bin" > /dev/null 2>&1 < /dev/null
			t1=$(date +%s%N)
			us=$(( (t1 - t0) / 65536 / 1000 ))
		fi
		echo $(( us > 10 ? (us + 9) / 10 : 1 )) > "$cache"
		# Once a run, in the TAP stream: what this host's timeouts are sized by.
		{ echo "# outer timeouts x $(cat "$cache") (TIME_SCALE): one guest exit takes about $us us here" >&3; } 2>/dev/null
	fi
	cat "$cache"
}
TIME_SCALE=${TIME_SCALE:-$(time_scale)}
export TIME_SCALE

# limit SECONDS: an outer timeout of SECONDS on a fast KVM, scaled for this host.
limit() { echo $(( $1 * TIME_SCALE )); }

# pvm_host: true when /dev/kvm is PVM's (kvm_pvm): guest code at CPL 0 is
# emulated and port I/O at CPL 3 faults instead of exiting.
pvm_host() {
	[ -d /sys/module/kvm_pvm ]
}

# tcg_cpu: true when the CPU that runs the guests is QEMU's software emulation
# (TCG), as in the test host of tests/vm: KVM there runs its guests on SVM as
# QEMU emulates it, so the guest's own exceptions are QEMU's. QEMU 7.2 gives a
# #GP raised while reading a 64-bit IDT the error code vector * 16 + 2 (the
# gate's byte offset) instead of vector * 8 + 2 (target/i386/tcg/seg_helper.c,
# do_interrupt64), and reports that #GP's RIP at the INT or after it, from run
# to run (seen: int3 after it in 10 runs of 12, at it in 2). Hardware and PVM do
# neither; tests accept it only here, through tcg_int_gp.
tcg_cpu() {
	grep -q '^model name.*QEMU TCG CPU' /proc/cpuinfo
}

# tcg_int_gp LINE VECTOR AT LENGTH: LINE is QEMU TCG's #GP for an INT of
# VECTOR at address AT, LENGTH bytes long, with RSP 0x100000.
tcg_int_gp() {
	local code after
	code=$(printf '0x%x' $(($2 * 16 + 2)))
	after=$(printf '0x%x' $(($3 + $4)))
	[ "$1" = "$FAULT general protection fault (#GP, vector 13, error code $code) at RIP $3 (RSP 0x100000)" ] ||
		[ "$1" = "$FAULT general protection fault (#GP, vector 13, error code $code) at RIP $after (RSP 0x100000)" ]
}

# Every kvmrun run sits under an outer timeout so a hang fails fast.
# stdin is /dev/null unless the test redirects it.
kvmrun() {
	timeout -k 2 "$(limit 30)" "$KVMRUN" "$@"
}

# hold_unread FIFO [SECONDS]: make FIFO and hold its read end open, with a one-page
# pipe, never reading, for SECONDS (default 60); $holder is the holder's pid.
hold_unread() {
	mkfifo "$1"
	python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ
time.sleep(int(sys.argv[2]))' "$1" "${2:-60}" &
	holder=$!
}

# lo_up: bring the loopback interface up where it is down (the test host of
# tests/vm boots so) and we may: the gdb stub listens on 127.0.0.1.
lo_up() {
	if [ "$(id -u)" = 0 ] && command -v ip > /dev/null && ! ip -o link show lo | grep -q '<[^>]*UP'; then
		ip link set lo up
	fi
}

# gdb_port FILE: wait (up to 30 s, times TIME_SCALE) for kvmrun's "gdb:
# listening" line in FILE (its stderr) and set PORT; false, with FILE shown, if
# it never comes.
gdb_port() {
	PORT=
	for _ in $(seq 1 $((600 * TIME_SCALE))); do
		# || true: the file may not exist yet, and a failed assignment would end the test (errexit).
		PORT=$(sed -n 's/^kvmrun: gdb: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" 2> /dev/null || true)
		[ -n "$PORT" ] && return 0
		sleep 0.05
	done
	cat "$1" >&2
	return 1
}

# cap_number NAME: a KVM_CAP_* number as <linux/kvm.h> defines it, so a test follows the header.
cap_number() {
	local n
	n="$(printf '#include <linux/kvm.h>\n%s\n' "$1" | "${CC:-cc}" -E -P -x c - | tail -n 1)"
	[[ "$n" =~ ^[0-9]+$ ]] || { echo "cannot read $1 from <linux/kvm.h>: '$n'" >&2; return 1; }
	echo "$n"
}
