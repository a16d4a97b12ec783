#!/usr/bin/env bats
# The guest kit (guest/kit/): C guests built by `make`, run as ELF and as flat
# images in --mode long.
load helpers

K="$ROOT/guest"

# Until kvmrun loads ELF files, those runs are skipped, not failed.
needs_elf() {
	"$KVMRUN" --help | grep -q -- '--format' || skip "needs the ELF loader"
}

# A 64-bit kit guest's flat image (guest/NAME.bin) runs in --mode long.
flat() { kvmrun --mode long "$@"; }

@test "the kit's guests are static executables: ELF64 at 0x100000" {
	for g in hello_c echo_c exit_c fault_c printf_c; do
		run -0 readelf -h "$K/$g.elf"
		[[ "$output" == *"Class:"*"ELF64"* ]]
		[[ "$output" == *"Type:"*"EXEC (Executable file)"* ]]
		[[ "$output" == *"Entry point address:"*"0x100000"* ]]
		# the entry stub leads: the flat image starts at the entry point
		run -0 nm "$K/$g.elf"
		[[ "$output" == *"0000000000100000 T _start"* ]]
	done
}

@test "the kit's guests use no SSE, x87 or AVX instruction" {
	for g in hello_c echo_c exit_c fault_c printf_c; do
		run -0 objdump -d --no-show-raw-insn "$K/$g.elf"
		run -1 grep -E $'%([xyz]?mm|st)[0-9(]|\tf[a-z0-9]+( |$)' <<<"$output"
	done
}

@test "hello_c prints its line and returns 0: flat in --mode long, and as ELF" {
	need_kvm
	run -0 --separate-stderr flat "$K/hello_c.bin"
	[ "$output" = "Hello from C!" ]
	[ "$stderr" = "" ]
	needs_elf
	run -0 --separate-stderr kvmrun "$K/hello_c.elf"
	[ "$output" = "Hello from C!" ]
	[ "$stderr" = "" ]
}

@test "echo_c upper-cases lines until 'quit', then exits 0; what follows is not read" {
	need_kvm
	printf 'hello, world\n\nMixed Case 123\nquit\nnot echoed\n' >"$BATS_TEST_TMPDIR/in"
	expect=$'HELLO, WORLD\n\nMIXED CASE 123'
	run -0 --separate-stderr flat "$K/echo_c.bin" <"$BATS_TEST_TMPDIR/in"
	[ "$output" = "$expect" ]
	[ "$stderr" = "" ]
	needs_elf
	run -0 --separate-stderr kvmrun "$K/echo_c.elf" <"$BATS_TEST_TMPDIR/in"
	[ "$output" = "$expect" ]
	[ "$stderr" = "" ]
}

@test "echo_c: readline ends lines at LF, CR or CRLF alike" {
	need_kvm
	run -0 --separate-stderr flat "$K/echo_c.bin" < <(printf 'crlf\r\ncr\rlf\n\r\nend\r\nquit\r\n')
	[ "$output" = $'CRLF\nCR\nLF\n\nEND' ]
}

@test "echo_c: input that never says quit leaves it waiting (a UART has no EOF) until --timeout" {
	need_kvm
	run -124 --separate-stderr flat --timeout 0.3 "$K/echo_c.bin" < <(printf 'last\n')
	[ "$output" = "LAST" ]
}

@test "exit_c exits with the number on its first line, 0 to 255, exactly" {
	need_kvm
	for n in 0 1 42 100 254 255; do
		run -"$n" --separate-stderr flat "$K/exit_c.bin" < <(printf '%s\n' "$n")
		[ "$output" = "" ]
		[ "$stderr" = "" ]
	done
	run -7 --separate-stderr flat "$K/exit_c.bin" < <(printf '  7 \nignored\n')
	needs_elf
	for n in 0 3 200; do
		run -"$n" --separate-stderr kvmrun "$K/exit_c.elf" < <(printf '%s\n' "$n")
		[ "$output" = "" ]
	done
}

@test "exit_c refuses what is not a number from 0 to 255: message, status 1" {
	need_kvm
	for bad in 256 abc '' 12x -1; do
		run -1 --separate-stderr flat "$K/exit_c.bin" < <(printf '%s\n' "$bad")
		[ "$output" = "exit_c: expected a number from 0 to 255, got '$bad'" ]
		[ "$stderr" = "" ]
	done
}

@test "fault_c: a write beyond RAM is a guest fault, status 100, the address named" {
	need_kvm
	fault="kvmrun: guest fault: 4-byte write of 0xdeadbeef to 0x40000000, outside RAM (0x0-0xffffff) (KVM_EXIT_MMIO)"
	run -100 --separate-stderr flat --mem 16 "$K/fault_c.bin"
	[ "$output" = "writing 0xdeadbeef to 0x40000000" ]
	[ "${stderr_lines[0]}" = "$fault" ]
	needs_elf
	run -100 --separate-stderr kvmrun --mem 16 "$K/fault_c.elf"
	[ "$output" = "writing 0xdeadbeef to 0x40000000" ]
	[ "${stderr_lines[0]}" = "$fault" ]
}

@test "fault_c: with --mem 2G the address is RAM and the write succeeds" {
	need_kvm
	run -1 --separate-stderr flat --mem 2G "$K/fault_c.bin"
	[ "$output" = $'writing 0xdeadbeef to 0x40000000\nno fault: RAM reaches 0x40000000' ]
	[ "$stderr" = "" ]
}

@test "printf_c: every conversion, flag and modifier of the kit's printf, and snprintf" {
	need_kvm
	expect='[0] [-42] [4294967295] [-2147483648] [2147483647]
[   42] [42   ] [-0042] [12345]
[beef] [BEEF] [0000beef] [BEEF    ] [0]
[-1234567890123] [18446744073709551615] [deadbeefcafe]
[-9223372036854775808] [18446744073709551615] [123456789ABCDEF] [00000000010000000000]
[8] [ff] [     7] [7     ]
[str] [   right] [left    ] [x] [  y] [z  ] [%]
[0x100000] [0x0]
[12345-a] 12'
	run -0 --separate-stderr flat "$K/printf_c.bin"
	[ "$output" = "$expect" ]
	[ "$stderr" = "" ]
	needs_elf
	run -0 --separate-stderr kvmrun "$K/printf_c.elf"
	[ "$output" = "$expect" ]
}
