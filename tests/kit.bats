#!/usr/bin/env bats
# The guest kit (guest/kit/): C guests built by `make`, run as ELF and as flat
# images in --mode long, and the Multiboot kernel mbinfo under kvmrun and QEMU.
load helpers

K="$ROOT/guest"

# Until kvmrun loads ELF and Multiboot files, those runs are skipped, not failed.
needs_elf() {
	"$KVMRUN" --help | grep -q -- '--format' || skip "needs the ELF loader"
}
needs_multiboot() {
	"$KVMRUN" --help | grep -q -- '--module' || skip "needs Multiboot support (--append, --module)"
}

# A 64-bit kit guest's flat image (guest/NAME.bin) runs in --mode long.
flat() { kvmrun --mode long "$@"; }

@test "the kit's guests are static executables: ELF64 at 0x100000, ELF32 Multiboot with its header in the first 8 KiB" {
	for g in hello_c echo_c exit_c fault_c printf_c; do
		run -0 readelf -h "$K/$g.elf"
		[[ "$output" == *"Class:"*"ELF64"* ]]
		[[ "$output" == *"Type:"*"EXEC (Executable file)"* ]]
		[[ "$output" == *"Entry point address:"*"0x100000"* ]]
		# the entry stub leads: the flat image starts at the entry point
		run -0 nm "$K/$g.elf"
		[[ "$output" == *"0000000000100000 T _start"* ]]
	done
	run -0 readelf -h "$K/mbinfo.elf"
	[[ "$output" == *"Class:"*"ELF32"* ]]
	[[ "$output" == *"Type:"*"EXEC (Executable file)"* ]]
	run -0 python3 -c 'import sys, struct
d = open(sys.argv[1], "rb").read(8192)
for off in range(0, len(d) - 11, 4):
    m, f, c = struct.unpack_from("<III", d, off)
    if m == 0x1BADB002 and (m + f + c) & 0xffffffff == 0:
        print(hex(f)); break' "$K/mbinfo.elf"
	[ "$output" = "0x3" ]
}

# debug_report ELF STRIPPED: the number of .debug_ sections in ELF, how many of
# them are allocated (SHF_ALLOC), and whether ELF's entry and loaded segments
# (PT_LOAD: addresses, sizes, flags, bytes) are STRIPPED's.
debug_report() {
	python3 - "$1" "$2" <<-'EOF'
		import struct, sys
		def elf(path):
		    f = open(path, "rb").read()
		    w = "<IIQQQQIIQQ" if f[4] == 2 else "<IIIIIIIIII"
		    ph = "<IIQQQQQQ" if f[4] == 2 else "<IIIIIIII"
		    if f[4] == 2:
		        entry, phoff, shoff = struct.unpack_from("<QQQ", f, 0x18)
		        phent, phnum, shent, shnum, shstrndx = struct.unpack_from("<HHHHH", f, 0x36)
		    else:
		        entry, phoff, shoff = struct.unpack_from("<III", f, 0x18)
		        phent, phnum, shent, shnum, shstrndx = struct.unpack_from("<HHHHH", f, 0x2a)
		    secs = [struct.unpack_from(w, f, shoff + i * shent) for i in range(shnum)]
		    stroff = secs[shstrndx][4]
		    name = lambda s: f[stroff + s[0]:f.index(b"\0", stroff + s[0])].decode()
		    debug = [s for s in secs if name(s).startswith(".debug_")]
		    segs = [entry]
		    for i in range(phnum):
		        p = struct.unpack_from(ph, f, phoff + i * phent)
		        if f[4] == 2:
		            typ, flags, off, vaddr, _, filesz, memsz, _ = p
		        else:
		            typ, off, vaddr, _, filesz, memsz, flags, _ = p
		        if typ == 1:
		            segs.append((vaddr, filesz, memsz, flags, f[off:off + filesz]))
		    return debug, segs
		debug, segs = elf(sys.argv[1])
		_, stripped = elf(sys.argv[2])
		print(len(debug) > 0, sum(1 for s in debug if s[2] & 2), segs == stripped)
	EOF
}

@test "the kit's guests carry DWARF for gdb (-g) only in sections never loaded: without it the loaded bytes are the same" {
	for g in hello_c echo_c exit_c fault_c printf_c mbinfo; do
		objcopy --strip-debug "$K/$g.elf" "$BATS_TEST_TMPDIR/$g.elf"
		run -0 debug_report "$K/$g.elf" "$BATS_TEST_TMPDIR/$g.elf"
		[ "$output" = "True 0 True" ]
		run -0 debug_report "$BATS_TEST_TMPDIR/$g.elf" "$K/$g.elf"
		[ "$output" = "False 0 True" ]
	done
	# the flat images hold the loaded bytes only: the same as the stripped file's
	objcopy -O binary "$BATS_TEST_TMPDIR/hello_c.elf" "$BATS_TEST_TMPDIR/hello_c.bin"
	cmp "$K/hello_c.bin" "$BATS_TEST_TMPDIR/hello_c.bin"
}

@test "the kit's guests use no SSE, x87 or AVX instruction" {
	for g in hello_c echo_c exit_c fault_c printf_c mbinfo; do
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

# mbinfo's module line for FILE with STRING ('' for none) at a page-aligned
# start, as kvmrun lays modules out; the start comes from the output.
module_line() { # N FILE STRING TEXT LINE
	local n=$1 file=$2 string=$3 text=$4 line=$5 start end
	[[ "$line" =~ ^module\ $n:\ start=0x([0-9a-f]+)\ end=0x([0-9a-f]+)\  ]]
	start=$((16#${BASH_REMATCH[1]})) end=$((16#${BASH_REMATCH[2]}))
	[ $((start % 4096)) -eq 0 ]
	[ $((end - start)) -eq "$(stat -c %s "$file")" ]
	[ "$line" = "module $n: start=0x${BASH_REMATCH[1]} end=0x${BASH_REMATCH[2]} string='$file${string:+ $string}' first bytes: '$text'" ]
}

@test "mbinfo under kvmrun: magic, flags, memory, command line, loader name, memory map, modules" {
	need_kvm
	needs_multiboot
	printf 'module text line\nsecond\n' >"$BATS_TEST_TMPDIR/mod.txt"
	printf '\x00\x01ab\xff' >"$BATS_TEST_TMPDIR/bin.dat"
	cd "$ROOT"
	run -0 --separate-stderr kvmrun --append "hello world" --module "$BATS_TEST_TMPDIR/mod.txt,modarg" \
		--module "$BATS_TEST_TMPDIR/bin.dat" guest/mbinfo.elf
	[ "$stderr" = "" ]
	[ "${#lines[@]}" -eq 9 ]
	[ "${lines[0]}" = "magic=0x2badb002" ]
	[ "${lines[1]}" = "flags=0x24d" ]
	[ "${lines[2]}" = "mem_lower=640 KiB mem_upper=130048 KiB" ]
	[ "${lines[3]}" = "cmdline='guest/mbinfo.elf hello world'" ]
	[ "${lines[4]}" = "boot_loader_name='kvmrun'" ]
	[ "${lines[5]}" = "mmap base=0x0 length=0x8000000 type=1" ]
	[ "${lines[6]}" = "mods_count=2" ]
	module_line 0 "$BATS_TEST_TMPDIR/mod.txt" modarg 'module text line' "${lines[7]}"
	module_line 1 "$BATS_TEST_TMPDIR/bin.dat" '' '..ab.' "${lines[8]}"
}

@test "mbinfo under kvmrun: no --append, no module, --mem 64" {
	need_kvm
	needs_multiboot
	cd "$ROOT"
	run -0 --separate-stderr kvmrun --mem 64 ./guest/mbinfo.elf
	[ "$stderr" = "" ]
	[ "$output" = "magic=0x2badb002
flags=0x24d
mem_lower=640 KiB mem_upper=64512 KiB
cmdline='./guest/mbinfo.elf '
boot_loader_name='kvmrun'
mmap base=0x0 length=0x4000000 type=1
mods_count=0" ]
}

@test "mbinfo under QEMU's Multiboot loader (-kernel): exit(0) ends QEMU through isa-debug-exit, status 1" {
	need_kvm
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	printf 'module text line\nsecond\n' >"$BATS_TEST_TMPDIR/mod.txt"
	cd "$ROOT"
	run -1 --separate-stderr timeout -k 2 $((30 * TIME_SCALE)) qemu-system-x86_64 -accel kvm -M microvm -nodefaults \
		-no-user-config -nographic -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel guest/mbinfo.elf -append "hello world" -initrd "$BATS_TEST_TMPDIR/mod.txt modarg" </dev/null
	[ "${lines[0]}" = "magic=0x2badb002" ]
	[ "${lines[1]}" = "flags=0x24f" ]	# QEMU adds bit 1, boot_device
	[[ "${lines[2]}" == "mem_lower="*" KiB mem_upper="*" KiB" ]]
	[ "${lines[3]}" = "cmdline='guest/mbinfo.elf hello world'" ]
	[ "${lines[4]}" = "boot_loader_name='qemu'" ]
	[[ "$output" == *$'\nmmap base=0x100000 length=0x'*$' type=1\n'* ]]
	[ "${lines[-2]}" = "mods_count=1" ]
	module_line 0 "$BATS_TEST_TMPDIR/mod.txt" modarg 'module text line' "${lines[-1]}"
}
