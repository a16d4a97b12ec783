#!/usr/bin/env bats
# --cpus: several vCPUs. The guests (tests/guests/long_smp.S, a flat 64-bit
# guest, and mb32_smp.S, a Multiboot kernel) read the CPU count from fw_cfg,
# start the other CPUs one at a time with INIT-SIPI-SIPI, let each print its
# APIC ID, then have every CPU add 100000 to a shared total with lock inc.
# The first letter of --append picks how the run ends (see the guests). One at
# a time, so the output is exact; the total proves every CPU ran.
load helpers

LONG="$G/long_smp.bin"
MB="$G/mb32_smp.elf32"

# expect N: the lines every variant prints first, for N CPUs.
expect() {
	local n=$1 i
	printf 'cpus=%02x\n' "$n"
	for ((i = 1; i < n; i++)); do
		printf 'cpu %02x up\n' "$i"
	done
	printf 'total=%08x\n' $((n * 100000))
}

setup() {
	need_kvm
}

@test "--cpus 1, 2 and 4: a 64-bit guest starts every AP and counts to N x 100000; status 0" {
	local n
	for n in 1 2 4; do
		run -0 --separate-stderr timeout $((30 * TIME_SCALE)) "$KVMRUN" --cpus "$n" --mode long "$LONG"
		[ "$output" = "$(expect "$n")" ]
		[ "$stderr" = "" ]
	done
}

@test "-c 4: a Multiboot kernel does the same (exit through 0xf4: status 1)" {
	run -1 --separate-stderr timeout $((30 * TIME_SCALE)) "$KVMRUN" -c 4 "$MB"
	[ "$output" = "$(expect 4)" ]
	[ "$stderr" = "" ]
}

@test "an exit-port write on an AP ends the whole run with its status, while CPU 0 spins" {
	run -42 --separate-stderr timeout $((30 * TIME_SCALE)) "$KVMRUN" --cpus 4 --mode long --append e "$LONG"
	[ "$output" = "$(expect 4)
exit from cpu 03" ]
	[ "$stderr" = "" ]
}

@test "a fault on an AP ends the run with status 100, that CPU named and its registers dumped" {
	run -100 --separate-stderr timeout $((30 * TIME_SCALE)) "$KVMRUN" --cpus 2 --mode long --append f "$LONG"
	[ "$output" = "$(expect 2)
fault on cpu 01" ]
	[ "${stderr_lines[0]}" = "kvmrun: guest fault on CPU 1: 4-byte write of 0x12345678 to 0xd0000000, outside RAM (0x0-0xffffff) (KVM_EXIT_MMIO)" ]
	# the AP's registers (EBP holds its APIC ID), not CPU 0's
	[[ "${stderr_lines[3]}" == "kvmrun:   rsi "*" rbp 0000000000000001 "* ]]
}

@test "every CPU halted with interrupts off ends the run with status 0, not at --timeout" {
	run -0 --separate-stderr timeout $((30 * TIME_SCALE)) "$KVMRUN" --cpus 4 --mode long --timeout 60 --append h "$LONG"
	[ "$output" = "$(expect 4)
halting" ]
	[ "$stderr" = "" ]
}

@test "APs that were never started do not keep a halted CPU 0 running" {
	run -0 --separate-stderr timeout $((30 * TIME_SCALE)) "$KVMRUN" --cpus 4 --timeout 60 "$G/mb32_halt.elf32"
	[ "$stderr" = "" ]
}

@test "--timeout stops four CPUs spinning with interrupts off: status 124, all output kept" {
	run -124 --separate-stderr timeout $((30 * TIME_SCALE)) "$KVMRUN" --cpus 4 --mode long --timeout $((2 * TIME_SCALE)) --append s "$LONG"
	[ "$output" = "$(expect 4)" ]
	[ "$stderr" = "kvmrun: guest still running after $((2 * TIME_SCALE)) s (--timeout); stopped it" ]
}

@test "SIGTERM stops four spinning CPUs at once: status 143" {
	local out="$BATS_TEST_TMPDIR/out" err="$BATS_TEST_TMPDIR/err" pid i s
	"$KVMRUN" --cpus 4 --mode long --append s "$LONG" > "$out" 2> "$err" &
	pid=$!
	for ((i = 0; i < 100 * TIME_SCALE; i++)); do
		grep -q total "$out" 2>/dev/null && break
		sleep 0.1
	done
	kill -TERM "$pid"
	# in this shell: bats' run is a subshell, which cannot wait for this shell's child
	s=0
	wait "$pid" || s=$?
	[ "$s" -eq 143 ]
	[ "$(cat "$out")" = "$(expect 4)" ]
	[ "$(cat "$err")" = "kvmrun: stopped by SIGTERM" ]
}

@test "stdout's reader leaving ends a 4-CPU run with 141 (EPIPE), every thread stopped" {
	run -0 --separate-stderr bash -c "set -o pipefail; timeout $((30 * TIME_SCALE)) '$KVMRUN' --cpus 4 --mode long --append s '$LONG' 2>'$BATS_TEST_TMPDIR/err' | head -c 5; echo \" \${PIPESTATUS[0]}\""
	[ "$output" = "cpus= 141" ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "kvmrun: stdout was closed by its reader (EPIPE); stopped the guest" ]
}

@test "-v lists the CPUs; --stats counts exits per CPU" {
	run -0 --separate-stderr timeout $((30 * TIME_SCALE)) "$KVMRUN" -v -s --cpus 4 --mode long "$LONG"
	[[ "$stderr" == *"kvmrun: 4 vCPUs, APIC IDs 0-3: CPU 0 starts at the entry; CPUs 1-3 wait for INIT and SIPI, each on its own thread"* ]]
	[[ "$stderr" == *"kvmrun: stats: CPU 0: "*" exits"* ]]
	[[ "$stderr" == *"kvmrun: stats: CPU 3: "*" exits"* ]]
	run -0 --separate-stderr timeout $((30 * TIME_SCALE)) "$KVMRUN" -v --cpus 2 --mode long "$LONG"
	[[ "$stderr" == *"kvmrun: 2 vCPUs, APIC IDs 0-1: CPU 0 starts at the entry; CPU 1 waits for INIT and SIPI, each on its own thread"* ]]
}

@test "--cpus: bad values and combinations are usage errors (status 2)" {
	run -2 --separate-stderr "$KVMRUN" --cpus 0 "$LONG"
	[ "$stderr" = "kvmrun: --cpus '0': zero: a VM needs at least one vCPU; $USAGE" ]
	run -2 --separate-stderr "$KVMRUN" --cpus 129 "$LONG"
	[ "$stderr" = "kvmrun: --cpus '129': more than kvmrun's maximum of 128 vCPUs; $USAGE" ]
	run -2 --separate-stderr "$KVMRUN" -c 2x "$LONG"
	[ "$stderr" = "kvmrun: --cpus '2x': trailing garbage after the number; $USAGE" ]
	run -2 --separate-stderr "$KVMRUN" -c -1 "$LONG"
	[ "$stderr" = "kvmrun: --cpus '-1': negative; $USAGE" ]
	run -2 --separate-stderr "$KVMRUN" --cpus 2 --no-irqchip --mode long "$LONG"
	[ "$stderr" = "kvmrun: --no-irqchip: --cpus 2 needs the in-kernel interrupt controllers (the other CPUs wait for INIT and SIPI in their LAPICs); $USAGE" ]
	run -2 --separate-stderr "$KVMRUN" --cpus 2 --mode user "$ROOT/guest/hello.bin"
	[ "$stderr" = "kvmrun: --mode user runs on one CPU; drop --cpus 2; $USAGE" ]
}

@test "an AP flooding a reader that never reads cannot hold kvmrun past --timeout (the blocked write is kicked)" {
	hold_unread "$BATS_TEST_TMPDIR/fifo" 600
	# long enough for the flood to fill the pipe and the console's buffer on any host
	run --separate-stderr bash -c 'timeout $((60 * TIME_SCALE)) "$KVMRUN" --cpus 2 --mode long --timeout $((2 * TIME_SCALE)) --append o "$2" > "$1"' _ "$BATS_TEST_TMPDIR/fifo" "$LONG"
	kill "$holder"
	echo "status $status; stderr: $stderr"
	[ "$status" -eq 124 ]
	[ "${stderr_lines[0]}" = "kvmrun: guest still running after $((2 * TIME_SCALE)) s (--timeout); stopped it" ]
	[[ "${stderr_lines[1]}" =~ ^"kvmrun: stdout's reader stopped reading; "[0-9]+" bytes of guest output were not written"$ ]]
	[ "${#stderr_lines[@]}" -eq 2 ]
}

@test "an AP flooding a reader that never reads: SIGTERM ends the run (143) within the one-second grace" {
	hold_unread "$BATS_TEST_TMPDIR/fifo" 60
	"$KVMRUN" --cpus 4 --mode long --append o "$LONG" > "$BATS_TEST_TMPDIR/fifo" 2> "$BATS_TEST_TMPDIR/err" &
	pid=$!
	sleep $((2 * TIME_SCALE))
	kill -TERM "$pid"
	run timeout $((30 * TIME_SCALE)) tail --pid="$pid" -f /dev/null
	kill "$holder"
	[ "$status" -eq 0 ]
	s=0
	wait "$pid" || s=$?
	[ "$s" -eq 143 ]
	[ "$(head -n 1 "$BATS_TEST_TMPDIR/err")" = "kvmrun: stopped by SIGTERM" ]
}

@test "four CPUs writing to COM1 at once, with no lock of their own: not a byte lost or doubled" {
	local c
	run -0 --separate-stderr timeout $((30 * TIME_SCALE)) "$KVMRUN" --cpus 4 --mode long --append c "$LONG"
	[ "$stderr" = "" ]
	# any interleaving of the four CPUs' letters; everything else exact
	[ "$(printf '%s' "$output" | tr -d 'A-D')" = "$(expect 4)" ]
	for c in A B C D; do
		[ "$(printf '%s' "$output" | tr -cd "$c" | wc -c)" -eq 2000 ]
	done
}
