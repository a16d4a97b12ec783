#!/usr/bin/env bats
# How a run ends, and the status it ends with: every status the README lists.
load helpers

setup() { need_kvm; }

# exit_any reads: port ('4' or '8'), size ('1', '2', '4'), 4 value bytes.
exit_with() {
	run --separate-stderr bash -c "printf '$1' | timeout $((30 * TIME_SCALE)) \"\$KVMRUN\" \"\$G/exit_any.bin\""
}

@test "HLT ends the run with status 0" {
	run -0 --separate-stderr kvmrun "$ROOT/guest/hello.bin"
	[ "$output" = "Hello from a kvmrun guest!" ]
	[ "$stderr" = "" ]
}

@test "port 0xf4 (QEMU isa-debug-exit), 1-byte write of 5: status 11" {
	exit_with '41\x05\0\0\0'
	[ "$status" -eq 11 ]
	[ "$output" = "bye" ]
	[ "$stderr" = "" ]
}

@test "port 0xf4, 1-byte write of 0: status 1" {
	exit_with '41\0\0\0\0'
	[ "$status" -eq 1 ]
}

@test "port 0xf4, 2-byte write of 0x20: status 65" {
	exit_with '42\x20\0\0\0'
	[ "$status" -eq 65 ]
}

@test "port 0xf4, 4-byte write of 0xffffffff: status 255, the low 8 bits of (v << 1) | 1" {
	exit_with '44\xff\xff\xff\xff'
	[ "$status" -eq 255 ]
}

@test "port 0xf8 (kvmrun exit), 1-byte write of 7: status 7 exactly" {
	exit_with '81\x07\0\0\0'
	[ "$status" -eq 7 ]
	[ "$output" = "bye" ]
	[ "$stderr" = "" ]
}

@test "port 0xf8, even statuses too: 4-byte write of 254 gives 254" {
	exit_with '84\xfe\0\0\0'
	[ "$status" -eq 254 ]
}

@test "port 0xf8, 1-byte write of 0: status 0" {
	exit_with '81\0\0\0\0'
	[ "$status" -eq 0 ]
}

@test "port 0xf8, 2-byte write of 256: a guest fault, status 100" {
	exit_with '82\x00\x01\0\0'
	[ "$status" -eq 100 ]
	[ "$output" = "bye" ]
	[ "${stderr_lines[0]}" = "kvmrun: guest fault: exit port 0xf8: 2-byte write of 256, but an exit status is 0 to 255" ]
}

@test "a triple fault is a guest fault, status 100, with a register dump and the code at RIP" {
	run -100 --separate-stderr kvmrun --mode protected "$G/prot_ud2.bin"
	[ "$output" = "before" ]
	# Hardware KVM reports SHUTDOWN; an emulating host may report an emulation failure.
	[[ "${stderr_lines[0]}" == "kvmrun: guest fault: triple fault: the CPU shut down (KVM_EXIT_SHUTDOWN)" ||
	   "${stderr_lines[0]}" == "kvmrun: guest fault: instruction emulation failed (KVM_EXIT_INTERNAL_ERROR, suberror 1)" ]]
	shutdown_lost_registers && return 0
	[ $? -eq 1 ]
	[[ "$stderr" == *"kvmrun:   rax 000000001234abcd "* ]]
	[[ "$stderr" == *"kvmrun:   cr0 0000000000000011 cr2 "* ]]
	[[ "$stderr" == *"kvmrun:   cs  0008 base 0000000000000000 limit ffffffff type b D dpl 0"* ]]
	[[ "$stderr" == *"kvmrun:   gdt base 0000000000001000 limit 001f  idt base 0000000000000000 limit 0000"* ]]
	[[ "$stderr" == *" <0f> 0b "* ]]
}

@test "a write outside RAM is a guest fault naming the address, size and value" {
	run -100 --separate-stderr kvmrun --mode long "$G/long_mmio.bin"
	[ "$output" = "before" ]
	[ "${stderr_lines[0]}" = "kvmrun: guest fault: 4-byte write of 0xdeadbeef to 0x2000000, outside RAM (0x0-0xffffff) (KVM_EXIT_MMIO)" ]
	[[ "$stderr" == *" rbx 0000000002000000 "* ]]
	[[ "$stderr" == *"efer 0000000000000500"* ]]
}

@test "a read outside RAM is a guest fault; the dump shows segment bases" {
	run -100 --separate-stderr kvmrun --mem 1 "$G/real_read_mmio.bin"
	[ "$output" = "before" ]
	[ "${stderr_lines[0]}" = "kvmrun: guest fault: 1-byte read from 0x100000, outside RAM (0x0-0xfffff) (KVM_EXIT_MMIO)" ]
	[[ "$stderr" == *"kvmrun:   fs  ffff base 00000000000ffff0 limit 0000ffff type 3 dpl 0"* ]]
	# The faulting instruction, mov %fs:0x10,%al (64 a0 10 00), is found in the image.
	at=$(python3 -c 'import sys; print(hex(0x10000 + open(sys.argv[1], "rb").read().index(bytes.fromhex("64a01000f4"))))' "$G/real_read_mmio.bin")
	[[ "$stderr" == *"kvmrun:   code at linear $at (physical $at): "*" <64> a0 10 00 f4"* ]]
}

@test "--timeout ends a spinning guest: status 124, output kept, one line on stderr" {
	run -124 --separate-stderr kvmrun --timeout 0.5 "$G/spin.bin"
	[ "$output" = "spinning" ]
	[ "$stderr" = "kvmrun: guest still running after 0.5 s (--timeout); stopped it" ]
}

@test "--timeout does not touch a guest that ends in time" {
	run -0 --separate-stderr kvmrun --timeout 20 "$ROOT/guest/hello.bin"
	[ "$output" = "Hello from a kvmrun guest!" ]
	[ "$stderr" = "" ]
}

# Start a spinning guest, wait until its output is out, send a signal.
signal_run() {
	local sig=$1 out="$BATS_TEST_TMPDIR/out" err="$BATS_TEST_TMPDIR/err"
	timeout $((30 * TIME_SCALE)) "$KVMRUN" "$G/spin.bin" > "$out" 2> "$err" &
	local pid=$!
	for _ in $(seq 200); do [ -s "$out" ] && break; sleep 0.05; done
	kill "-$sig" "$pid" 2>/dev/null || true
	pid_status=0
	wait "$pid" || pid_status=$?
	run_out=$(od -An -c "$out")
	run_err=$(cat "$err")
}

@test "SIGTERM mid-run: status 143, output kept, one line on stderr" {
	signal_run TERM
	[ "$pid_status" -eq 143 ]
	[ "$run_out" = "$(printf 'spinning\n' | od -An -c)" ]
	[ "$run_err" = "kvmrun: stopped by SIGTERM" ]
}

@test "SIGINT mid-run: status 130, output kept" {
	signal_run INT
	[ "$pid_status" -eq 130 ]
	[ "$run_out" = "$(printf 'spinning\n' | od -An -c)" ]
	[ "$run_err" = "kvmrun: stopped by SIGINT" ]
}

@test "SIGHUP mid-run: status 129, output kept" {
	signal_run HUP
	[ "$pid_status" -eq 129 ]
	[ "$run_err" = "kvmrun: stopped by SIGHUP" ]
}

@test "stdout's reader goes away (EPIPE): status 141 and a message, not death by SIGPIPE" {
	run -0 --separate-stderr bash -c '
		timeout $((30 * TIME_SCALE)) "$KVMRUN" "$G/flood.bin" 2>"$BATS_TEST_TMPDIR/err" | head -c 6
		echo " ${PIPESTATUS[0]}"'
	[ "$output" = "flood
 141" ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "kvmrun: stdout was closed by its reader (EPIPE); stopped the guest" ]
}
