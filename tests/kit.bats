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
	for g in hello_c printf_c; do
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
	for g in hello_c printf_c; do
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
