#!/usr/bin/env bats
# User mode (--mode user): 64-bit code at CPL 3 behind the runner's IDT, TSS
# and supervisor-only pages. The kit's C guests, the CPL, every kind of fault
# with its exact line, HLT, port I/O from CPL 3 (direct with IOPL 3 on
# hardware KVM, emulated from the #GP where the host ignores IOPL, as PVM
# does), string I/O at the edges of the runner's pages and of RAM, what is
# refused before the run, -v and --stats.
#
# Where hardware KVM and PVM (this project's machine) legitimately differ, a
# test accepts each host's exact line and says why; nothing depends on timing.
load helpers

setup() { need_kvm; }

K="$ROOT/guest"

# The address of label NAME in tests/guests/GUEST.elf, as kvmrun prints it (0x10000c).
addr() { # GUEST NAME
	local a
	a=$(nm "$G/$1.elf" | awk -v s="$2" '$3 == s { print $1 }')
	[ -n "$a" ] || return 1
	printf '0x%x' "0x$a"
}

# A dump line as dump.c prints 64-bit registers: 16 hex digits.
hex16() { printf '%016x' "$1"; }

FAULT="kvmrun: guest fault:"
SUPERVISOR="the page is supervisor-only (the runner's)"
USER_CS="kvmrun:   cs  002b base 0000000000000000 limit ffffffff type b L dpl 3"

# ---- the C guest kit in user mode, as ELF64 and as flat images ----

@test "kit: hello_c prints its line and returns 0, as ELF and as a flat image" {
	for g in hello_c.elf hello_c.bin; do
		run -0 --separate-stderr kvmrun --mode user "$K/$g"
		[ "$output" = "Hello from C!" ]
		[ "$stderr" = "" ]
	done
}

@test "kit: echo_c upper-cases lines from a pipe until 'quit', as ELF and flat" {
	for g in echo_c.elf echo_c.bin; do
		run -0 --separate-stderr kvmrun --mode user "$K/$g" < <(printf 'hello, world\n\nMixed Case 123\nquit\nnot echoed\n')
		[ "$output" = $'HELLO, WORLD\n\nMIXED CASE 123' ]
		[ "$stderr" = "" ]
	done
}

@test "kit: exit_c exits with exactly the number it reads, as ELF and flat; a bad number is status 1" {
	for g in exit_c.elf exit_c.bin; do
		for n in 0 1 42 100 255; do
			run -"$n" --separate-stderr kvmrun --mode user "$K/$g" < <(printf '%s\n' "$n")
			[ "$output" = "" ]
			[ "$stderr" = "" ]
		done
		run -1 --separate-stderr kvmrun --mode user "$K/$g" < <(printf 'abc\n')
		[ "$output" = "exit_c: expected a number from 0 to 255, got 'abc'" ]
		[ "$stderr" = "" ]
	done
}

@test "kit: printf_c prints in user mode exactly what it prints in long mode, as ELF and flat" {
	run -0 --separate-stderr kvmrun "$K/printf_c.elf"
	long="$output"
	[ "${#lines[@]}" -eq 9 ]
	for g in printf_c.elf printf_c.bin; do
		run -0 --separate-stderr kvmrun --mode user "$K/$g"
		[ "$output" = "$long" ]
		[ "$stderr" = "" ]
	done
}

# Beyond RAM is no page fault: the user page tables map at least 4 GiB, all
# user-accessible above the runner's pages, so the store leaves the guest as
# MMIO and gets the same line as in long mode.
@test "kit: fault_c's write beyond RAM is an MMIO exit named by size, value and address, as in long mode" {
	fault="$FAULT 4-byte write of 0xdeadbeef to 0x40000000, outside RAM (0x0-0xffffff) (KVM_EXIT_MMIO)"
	for g in fault_c.elf fault_c.bin; do
		run -100 --separate-stderr kvmrun --mode user --mem 16 "$K/$g"
		[ "$output" = "writing 0xdeadbeef to 0x40000000" ]
		[ "${stderr_lines[0]}" = "$fault" ]
		# the dump is of the user context that made the access
		[[ "$stderr" == *$'\n'"$USER_CS"$'\n'* ]]
	done
}

@test "kit: fault_c with --mem 2G writes to RAM at 1 GiB from CPL 3 and says so" {
	run -1 --separate-stderr kvmrun --mode user --mem 2G "$K/fault_c.bin"
	[ "$output" = $'writing 0xdeadbeef to 0x40000000\nno fault: RAM reaches 0x40000000' ]
	[ "$stderr" = "" ]
}

# ---- the privilege level ----

# The second line (CS, SS, DS, IOPL, IF as the guest reads them) is the host's
# business: hardware KVM shows 002b 0023 0023 and IOPL 3; PVM shows its own
# user selectors (cs=0033 ss=002b ds=0000) and flags (IOPL 0, IF 1).
@test "a user-mode guest runs at CPL 3, as a flat image and as ELF" {
	for g in user_cpl.bin user_cpl.elf; do
		run -0 --separate-stderr kvmrun --mode user "$G/$g"
		[ "${lines[0]}" = "cpl=3" ]
		[[ "${lines[1]}" =~ ^cs=[0-9a-f]{4}\ ss=[0-9a-f]{4}\ ds=[0-9a-f]{4}\ iopl=[0-3]\ if=[01]$ ]]
		[ "${#lines[@]}" -eq 2 ]
		[ "$stderr" = "" ]
	done
	# the same code in long mode runs at CPL 0
	run -0 --separate-stderr kvmrun --mode long "$G/user_cpl.bin"
	[ "${lines[0]}" = "cpl=0" ]
}

# ---- page faults: the runner's pages and page 0 ----

@test "writing the runner's GDT page (0x1000): page fault, error code 0x7, output before it kept" {
	rip=$(addr user_wgdt fault)
	for g in user_wgdt.bin user_wgdt.elf; do
		run -100 --separate-stderr kvmrun --mode user "$G/$g"
		[ "$output" = "writing 0x1000" ]
		[ "${stderr_lines[0]}" = "$FAULT page fault writing 0x1000 at RIP $rip: $SUPERVISOR (error code 0x7, RSP 0x100000)" ]
		# the dump shows the faulting user context, not the runner's stub
		[ "${stderr_lines[1]}" = "kvmrun:   rip $(hex16 "$rip") rsp 0000000000100000 rflags ${stderr_lines[1]: -16}" ]
		[[ "$stderr" == *$'\n'"$USER_CS"$'\n'* ]]
		[[ "$stderr" == *"cr2 0000000000001000"* ]]
	done
}

@test "reading the runner's TSS (0x1800): page fault reading, error code 0x5" {
	run -100 --separate-stderr kvmrun --mode user "$G/user_rtss.bin"
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "$FAULT page fault reading 0x1800 at RIP $(addr user_rtss fault): $SUPERVISOR (error code 0x5, RSP 0x100000)" ]
}

@test "dereferencing NULL: page 0 is not present, error code 0x4" {
	run -100 --separate-stderr kvmrun --mode user "$G/user_null.bin"
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "$FAULT page fault reading 0x0 at RIP $(addr user_null fault): the page is not present (error code 0x4, RSP 0x100000)" ]
}

# The I/D bit (16) of a page fault's error code is set only with EFER.NXE or
# CR4.SMEP, and the runner sets neither; either fix below is correct.
@test "jumping into the runner's stubs (0x1900): page fault fetching an instruction, at the target" {
	run -100 --separate-stderr kvmrun --mode user "$G/user_fetch.bin"
	[ "$output" = "" ]
	want="$FAULT page fault fetching an instruction at 0x1900 at RIP 0x1900: $SUPERVISOR"
	[ "${stderr_lines[0]}" = "$want (error code 0x15, RSP 0x100000)" ] ||
		[ "${stderr_lines[0]}" = "$want (error code 0x5, RSP 0x100000)" ]
}

@test "calling a NULL function pointer: page fault fetching an instruction at 0x0, return address pushed" {
	run -100 --separate-stderr kvmrun --mode user "$G/user_callnull.bin"
	want="$FAULT page fault fetching an instruction at 0x0 at RIP 0x0: the page is not present"
	[ "${stderr_lines[0]}" = "$want (error code 0x14, RSP 0xffff8)" ] ||
		[ "${stderr_lines[0]}" = "$want (error code 0x4, RSP 0xffff8)" ]
}

# ---- other exceptions: name, mnemonic, vector, faulting RIP ----

@test "divide by zero: #DE, vector 0, at the div" {
	run -100 --separate-stderr kvmrun --mode user "$G/user_de.bin"
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "$FAULT divide error (#DE, vector 0) at RIP $(addr user_de fault) (RSP 0x100000)" ]
}

@test "ud2: #UD, vector 6, at the ud2, as flat and ELF" {
	for g in user_ud.bin user_ud.elf; do
		run -100 --separate-stderr kvmrun --mode user "$G/$g"
		[ "$output" = "" ]
		[ "${stderr_lines[0]}" = "$FAULT invalid opcode (#UD, vector 6) at RIP $(addr user_ud fault) (RSP 0x100000)" ]
	done
}

@test "mov %cr0 at CPL 3: #GP, vector 13, error code 0x0, at the mov" {
	run -100 --separate-stderr kvmrun --mode user "$G/user_gp.bin"
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "$FAULT general protection fault (#GP, vector 13, error code 0x0) at RIP $(addr user_gp fault) (RSP 0x100000)" ]
}

# The runner's gates are DPL 0. On hardware the CPU checks a software
# interrupt's gate DPL against CPL 3 and raises #GP(3 * 8 + 2 = 0x1a) at the
# int3. PVM instead intercepts int3 at CPL 3 and injects the #BP trap without
# that check, so the report is #BP with RIP after the int3 (a trap's RIP).
# QEMU's TCG (the test host's CPU) raises the #GP as vector * 16 + 2 = 0x32,
# at or after the int3 (helpers.bash, tcg_cpu).
@test "int3 at CPL 3: #GP(0x1a) at the int3 on hardware KVM, #BP after it on PVM; nothing else" {
	run -100 --separate-stderr kvmrun --mode user "$G/user_bp.bin"
	[ "$output" = "" ]
	at=$(addr user_bp fault)
	after=$(printf '0x%x' $((at + 1)))
	if tcg_cpu; then
		tcg_int_gp "${stderr_lines[0]}" 3 "$at" 1
		return
	fi
	[ "${stderr_lines[0]}" = "$FAULT general protection fault (#GP, vector 13, error code 0x1a) at RIP $at (RSP 0x100000)" ] ||
		[ "${stderr_lines[0]}" = "$FAULT breakpoint (#BP, vector 3) at RIP $after (RSP 0x100000)" ]
}

# ---- HLT ----

@test "hlt at CPL 3 ends the run with status 0, output kept, nothing on stderr, as flat and ELF" {
	for g in user_hlt.bin user_hlt.elf; do
		run -0 --separate-stderr kvmrun --mode user "$G/$g"
		[ "$output" = "before hlt" ]
		[ "$stderr" = "" ]
	done
}

# ---- port I/O from CPL 3 ----

@test "port I/O from CPL 3: 8-, 16- and 32-bit in/out with DX, fw_cfg, imm8 in merging into RAX as in long mode" {
	expect='scr=0x5a
lcr+mcr=0x0b03
mcr..scr=0xa5b06003
fw_cfg 0x511 32-bit=0x554d4551
fw_cfg signature=QEMU
in $0x80,%al  rax=0x11223344556677ff
in $0x80,%ax  rax=0x112233445566ffff
in $0x80,%eax rax=0x00000000ffffffff'
	run -0 --separate-stderr kvmrun --mode user "$G/user_pio.bin"
	[ "$output" = "$expect" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr kvmrun --mode long "$G/user_pio.bin"
	[ "$output" = "$expect" ]
}

@test "the exit ports from CPL 3: imm8 and DX, 8, 16 and 32 bits, exact statuses" {
	for c in a:7 b:200 c:67 d:255; do
		run -"${c#*:}" --separate-stderr kvmrun --mode user "$G/user_exit.bin" < <(printf '%s' "${c%:*}")
		[ "$output" = "" ]
		[ "$stderr" = "" ]
	done
	run -0 --separate-stderr kvmrun --mode user "$G/user_exit.bin" < <(printf 'x')
	[ "$output" = "no exit" ]
}

@test "the exit port from CPL 3 with 256: guest fault, status 100, the value named" {
	run -100 --separate-stderr kvmrun --mode user "$G/user_exit.bin" < <(printf 'e')
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "$FAULT exit port 0xf8: 4-byte write of 256, but an exit status is 0 to 255" ]
}

@test "a fault inside emulated port I/O dumps the guest's user context, not the runner's stub" {
	run -100 --separate-stderr kvmrun --mode user "$G/user_exit.bin" < <(printf 'e')
	bad=$(addr user_exit bad)
	# the out itself, or the instruction after it, as KVM reports it in long mode
	[[ "${stderr_lines[1]}" == "kvmrun:   rip $(hex16 "$bad") rsp 0000000000100000 rflags "* ]] ||
		[[ "${stderr_lines[1]}" == "kvmrun:   rip $(hex16 $((bad + 2))) rsp 0000000000100000 rflags "* ]]
	[[ "$stderr" == *$'\n'"$USER_CS"$'\n'* ]]
}

@test "rep outsb to COM1 from CPL 3: forwards, backwards with DF set, 5000 bytes in one; RSI and RCX end right" {
	expect="forward
backward
$(printf 'x%.0s' $(seq 5000))
rsi and rcx as expected"
	run -0 --separate-stderr kvmrun --mode user "$G/user_outs.bin"
	[ "$output" = "$expect" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr kvmrun --mode long "$G/user_outs.bin"
	[ "$output" = "$expect" ]
}

@test "rep insb and insb from COM1 at CPL 3, stdin through a pipe, echoed exactly" {
	run -0 --separate-stderr kvmrun --mode user "$G/user_ins.bin" < <(printf 'hello!xyz')
	[ "$output" = "hello!" ]
	[ "$stderr" = "" ]
}

# Where the runner emulates string I/O it refuses the runner's pages itself;
# where the CPU does it (IOPL 3 honoured), the page tables refuse with #PF.
@test "rep insb into the runner's GDT page (0x1000): guest fault, status 100, no byte taken" {
	rip=$(addr user_ins_runner fault)
	run -100 --separate-stderr kvmrun --mode user "$G/user_ins_runner.bin" < <(printf 'abcd')
	[ "$output" = "reading into 0x1000" ]
	[ "${stderr_lines[0]}" = "$FAULT string port I/O at RIP $rip writes 0x1000, which is not the guest's memory" ] ||
		[ "${stderr_lines[0]}" = "$FAULT page fault writing 0x1000 at RIP $rip: $SUPERVISOR (error code 0x7, RSP 0x100000)" ]
	# RCX and RDI untouched: not one element went through
	[[ "$stderr" == *" rcx 0000000000000004 rdx 00000000000003f8"$'\n'* ]]
	[[ "$stderr" == *" rdi 0000000000001000 rbp "* ]]
}

@test "rep outsb from the runner's stubs (0x1900): guest fault, nothing of them printed" {
	rip=$(addr user_outs_runner fault)
	run -100 --separate-stderr kvmrun --mode user "$G/user_outs_runner.bin"
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "$FAULT string port I/O at RIP $rip reads 0x1900, which is not the guest's memory" ] ||
		[ "${stderr_lines[0]}" = "$FAULT page fault reading 0x1900 at RIP $rip: $SUPERVISOR (error code 0x5, RSP 0x100000)" ]
}

@test "rep outsb with DF set from 0x9003 down: the 4 user bytes go out, then a fault at 0x8fff" {
	rip=$(addr user_outs_edge fault)
	run -100 --separate-stderr kvmrun --mode user "$G/user_outs_edge.bin"
	[ "$output" = "dcba" ]
	[ "${stderr_lines[0]}" = "$FAULT string port I/O at RIP $rip reads 0x8fff, which is not the guest's memory" ] ||
		[ "${stderr_lines[0]}" = "$FAULT page fault reading 0x8fff at RIP $rip: $SUPERVISOR (error code 0x5, RSP 0x100000)" ]
}

@test "a string I/O fault part way leaves RCX and RSI where the transfer stopped, in the user context" {
	rip=$(addr user_outs_edge fault)
	run -100 --separate-stderr kvmrun --mode user "$G/user_outs_edge.bin"
	[[ "${stderr_lines[1]}" == "kvmrun:   rip $(hex16 "$rip") rsp 0000000000100000 rflags "* ]]
	[[ "$stderr" == *" rcx 0000000000000004 rdx 00000000000003f8"$'\n'* ]]
	[[ "$stderr" == *$'\n'"kvmrun:   rsi 0000000000008fff rdi "* ]]
	[[ "$stderr" == *$'\n'"$USER_CS"$'\n'* ]]
}

@test "rep insb into the last 4 bytes of RAM works; one byte past the top is a guest fault" {
	rip=$(addr user_ins_top fault)
	run -100 --separate-stderr kvmrun --mode user --mem 16 "$G/user_ins_top.bin" < <(printf 'wxyzQ')
	[ "$output" = "wxyz" ]
	# emulated here; on hardware KVM the store leaves as MMIO, as in long mode
	[ "${stderr_lines[0]}" = "$FAULT string port I/O at RIP $rip writes 0x1000000, which is not the guest's memory" ] ||
		[ "${stderr_lines[0]}" = "$FAULT 1-byte write of 0x51 to 0x1000000, outside RAM (0x0-0xffffff) (KVM_EXIT_MMIO)" ]
}

# ---- the report port ----

@test "a guest writing to port 0xfc itself is ignored: it goes on and exits 0" {
	run -0 --separate-stderr kvmrun --mode user "$G/user_report.bin"
	[ "$output" = "still running after writing to port 0xfc" ]
	[ "$stderr" = "" ]
}

# ---- refused before the run ----

@test "a flat image overlapping the runner's user-mode tables is refused: status 104, first free address named" {
	for e in 0x1000 0x8000; do
		size=$(stat -c %s "$G/user_cpl.bin")
		last=$(printf '0x%x' $((e + size - 1)))
		run -104 --separate-stderr kvmrun --mode user --entry "$e" "$G/user_cpl.bin"
		[ "$output" = "" ]
		[ "$stderr" = "kvmrun: guest '$G/user_cpl.bin': the image at $e-$last overlaps the runner's user-mode tables at 0x1000-0x8fff; load it at or above 0x9000 with --entry" ]
	done
	# a page above them, with room for the stack below the image, it runs
	run -0 --separate-stderr kvmrun --mode user --entry 0xa000 "$G/user_cpl.bin"
	[ "${lines[0]}" = "cpl=3" ]
}

@test "an ELF64 whose segment overlaps the user-mode tables is refused: status 104; long mode takes it" {
	ld -m elf_x86_64 -N -e _start -Ttext=0x8000 -o "$BATS_TEST_TMPDIR/low.elf" "$G/user_hlt.o" 2>/dev/null
	size=$(stat -c %s "$G/user_hlt.bin")
	last=$(printf '0x%x' $((0x8000 + size - 1)))
	run -104 --separate-stderr kvmrun --mode user "$BATS_TEST_TMPDIR/low.elf"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: guest '$BATS_TEST_TMPDIR/low.elf': segment 0 at 0x8000-$last overlaps the runner's user-mode tables at 0x1000-0x8fff; link it elsewhere" ]
	# long mode's tables end at 0x7fff: the same file runs there
	run -0 --separate-stderr kvmrun "$BATS_TEST_TMPDIR/low.elf"
	[ "$output" = "before hlt" ]
	# linked above the user-mode tables it runs at CPL 3
	ld -m elf_x86_64 -N -e _start -Ttext=0xa000 -o "$BATS_TEST_TMPDIR/above.elf" "$G/user_hlt.o" 2>/dev/null
	run -0 --separate-stderr kvmrun --mode user "$BATS_TEST_TMPDIR/above.elf"
	[ "$output" = "before hlt" ]
	[ "$stderr" = "" ]
}

@test "--mode user with an ELF32 or a Multiboot kernel is a usage error: status 2" {
	run -2 --separate-stderr kvmrun --mode user "$G/prot_mode.elf32"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: --mode user does not fit '$G/prot_mode.elf32', a 32-bit ELF, which starts in protected mode; $USAGE" ]
	run -2 --separate-stderr kvmrun --mode user "$G/mb32_halt.elf32"
	[ "$stderr" = "kvmrun: --mode user does not fit '$G/mb32_halt.elf32', a Multiboot kernel, which starts in protected mode; $USAGE" ]
	run -2 --separate-stderr kvmrun --mode user "$K/mbinfo.elf"
	[ "$stderr" = "kvmrun: --mode user does not fit '$K/mbinfo.elf', a Multiboot kernel, which starts in protected mode; $USAGE" ]
}

# ---- -v and --stats ----

@test "-v: the guest line says user mode, the runner tables line lists them all, entry at CPL 3 with IOPL 3" {
	size=$(stat -c %s "$G/user_cpl.bin")
	last=$(printf '0x%x' $((0x100000 + size - 1)))
	run -0 --separate-stderr kvmrun -v --mode user "$G/user_cpl.bin"
	[ "${lines[0]}" = "cpl=3" ]
	[ "${stderr_lines[2]}" = "kvmrun: guest '$G/user_cpl.bin': flat, $size bytes at 0x100000-$last, user mode, entry 0x100000" ]
	[ "${stderr_lines[3]}" = "kvmrun: runner tables (GDT, TSS, exception stubs, IDT, runner stack, page tables) at 0x1000-0x8fff" ]
	[ "${stderr_lines[5]}" = "kvmrun: entry registers: cs 002b:100000 (base 0x0) ss 0023:100000 rflags 3002" ]
	[ "${stderr_lines[-1]}" = "kvmrun: guest exited; exit status 0" ]
	run -0 --separate-stderr kvmrun -v --mode user "$G/user_cpl.elf"
	[ "${stderr_lines[2]}" = "kvmrun: guest '$G/user_cpl.elf': elf (ELF64), $size bytes at 0x100000-$last, user mode, entry 0x100000" ]
	[ "${stderr_lines[3]}" = "kvmrun: runner tables (GDT, TSS, exception stubs, IDT, runner stack, page tables) at 0x1000-0x8fff" ]
	# one page directory per GiB mapped: 8 GiB of RAM end at 9 GiB (5 GiB above 4 GiB), which moves the page table and the end
	run -0 --separate-stderr kvmrun -v --mode user --mem 8G "$G/user_cpl.bin"
	[ "${stderr_lines[3]}" = "kvmrun: runner tables (GDT, TSS, exception stubs, IDT, runner stack, page tables) at 0x1000-0xdfff" ]
}

@test "-v reports a port with no device once per direction, emulated I/O included" {
	run -0 --separate-stderr kvmrun -v --mode user "$G/user_pio.bin"
	[ "$(grep -c 'port 0x80:' <<<"$stderr")" -eq 1 ]
	[[ "$stderr" == *$'\n'"kvmrun: port 0x80: 1-byte read returns all ones (no device; reported once)"$'\n'* ]]
}

@test "--stats counts the exception reports on port 0xfc" {
	# ud2 with no I/O before it: one report on any host
	run -100 --separate-stderr kvmrun --stats --mode user "$G/user_ud.bin"
	[[ "$stderr" == *$'\n'"kvmrun: stats:   port 0x00fc out            1  fault-report"$'\n'* ]]
	[ "$(grep -c 'port 0x00fc' <<<"$stderr")" -eq 1 ]
	# 11 bytes to COM1, then hlt: 1 report where IOPL 3 works (hlt), 12 where
	# each out is emulated from a #GP (PVM); COM1 sees 11 either way
	run -0 --separate-stderr kvmrun --stats --mode user "$G/user_hlt.bin"
	[ "$output" = "before hlt" ]
	[[ "$stderr" == *$'\n'"kvmrun: stats:   port 0x03f8 out           11  COM1"$'\n'* ]]
	[[ "$stderr" == *$'\n'"kvmrun: stats:   port 0x00fc out            1  fault-report"$'\n'* ]] ||
		[[ "$stderr" == *$'\n'"kvmrun: stats:   port 0x00fc out           12  fault-report"$'\n'* ]]
}

# ---- compute ----

@test "ten million iterations at CPL 3 compute the right sum and exit 0" {
	run -0 --separate-stderr kvmrun --mode user "$G/user_loop.bin"
	[ "$output" = "sum=0x01c9c380" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr kvmrun --mode user "$G/user_loop.elf"
	[ "$output" = "sum=0x01c9c380" ]
}
