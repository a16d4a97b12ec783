#!/usr/bin/env bats
# --gdb with a Linux kernel (build/linux, tests/linux/build.sh): gdb attached
# to a booting kernel, by its virtual addresses. Debian's kernel package has no
# real System.map (its System.map is a placeholder; the symbols are in the -dbg
# package), so the addresses come from vmlinux's ELF header (its entry and
# its first segment, _text) and, for start_kernel, from /proc/kallsyms when
# the running kernel is the same one (as in the test host).
load ../helpers

L="$ROOT/build/linux"

setup() {
	need_kvm
	command -v gdb > /dev/null || skip "no gdb: apt-get install gdb"
	lo_up
	need_linux vmlinux
}

# start_linux ARGS...: kvmrun --gdb 0 ARGS with the test initrd in the
# background; sets PORT and KPID, output in $OUT and $ERR.
start_linux() {
	OUT="$BATS_TEST_TMPDIR/out" ERR="$BATS_TEST_TMPDIR/err"
	timeout -k 5 $((150 * TIME_SCALE)) "$KVMRUN" --gdb 0 --timeout $((100 * TIME_SCALE)) --initrd "$L/initrd.gz" \
		"$@" "$L/bzImage" > "$OUT" 2> "$ERR" < /dev/null &
	KPID=$!
	gdb_port "$ERR"
}

# elf_addr entry|text: vmlinux's entry point (physical: where the
# decompressor jumps) or its first segment's virtual address (_text), 0x-hex.
elf_addr() {
	python3 - "$L/vmlinux" "$1" <<-'EOF'
		import struct, sys
		f = open(sys.argv[1], "rb").read()
		entry, phoff = struct.unpack_from("<QQ", f, 0x18)
		phentsize, phnum = struct.unpack_from("<HH", f, 0x36)
		if sys.argv[2] == "entry":
		    print(hex(entry))
		for i in range(phnum):
		    typ, _, off, vaddr = struct.unpack_from("<IIQQ", f, phoff + i * phentsize)
		    if typ == 1 and sys.argv[2] == "text":
		        print(hex(vaddr)); break
	EOF
}

@test "gdb: Linux: attached while it boots, kernel text read by its virtual address is vmlinux's; detached, it boots on" {
	start_linux --append "nokaslr kvmrun.test=hello"
	# Attach once the kernel proper runs: its banner is on the console.
	for _ in $(seq 1 $((600 * TIME_SCALE))); do grep -q 'Linux version' "$OUT" && break; sleep 0.1; done
	grep -q 'Linux version' "$OUT"
	local text; text=$(elf_addr text)
	[ "$text" = 0xffffffff81000000 ]
	# The same 64 bytes from the ELF file, at _text's place in its first segment.
	python3 - "$L/vmlinux" > "$BATS_TEST_TMPDIR/want" <<-'EOF'
		import struct, sys
		f = open(sys.argv[1], "rb").read()
		phoff, = struct.unpack_from("<Q", f, 0x20)
		phentsize, phnum = struct.unpack_from("<HH", f, 0x36)
		for i in range(phnum):
		    typ, _, off, vaddr = struct.unpack_from("<IIQQ", f, phoff + i * phentsize)
		    if typ == 1 and vaddr == 0xffffffff81000000:
		        sys.stdout.buffer.write(f[off:off + 64]); break
	EOF
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/want")" = 64 ]
	run timeout $((60 * TIME_SCALE)) gdb -batch -nx -ex 'set confirm off' -ex "target remote 127.0.0.1:$PORT" \
		-ex 'print/x $pc' -ex "dump binary memory $BATS_TEST_TMPDIR/got $text $text+64" -ex 'detach'
	echo "$output"
	[[ "$output" == *'$1 = 0xffffffff8'* ]]
	[[ "$output" == *"[Inferior 1 (Remote target) detached]"* ]]
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	local st=0
	wait "$KPID" || st=$?
	cat "$ERR"
	[ "$st" -eq 0 ]
	tr -d '\r' < "$OUT" | grep -qx 'hello from init'
}

# start_kernel_addr: start_kernel's address in build/linux's kernel without
# KASLR, from /proc/kallsyms when the running kernel is that one (the test
# host's is): its offset from _text there, added to vmlinux's _text. Empty
# when it cannot be known.
start_kernel_addr() {
	local kver sk text
	kver=$(cat "$ROOT/build/testvm/kernel-version" 2> /dev/null) || return 0
	[ "$(uname -r)" = "$kver" ] || return 0
	sk=$(awk '$3 == "start_kernel" { print $1; exit }' /proc/kallsyms)
	text=$(awk '$3 == "_text" { print $1; exit }' /proc/kallsyms)
	[ -n "$sk" ] && [ -n "$text" ] && [ "$sk" != 0000000000000000 ] || return 0
	printf '0x%x\n' $(( $(elf_addr text) + 0x$sk - 0x$text ))
}

# hbreak_boot ADDR: the kernel booted under gdb with a hardware breakpoint at
# ADDR: it stops there ($pc is ADDR), then, the breakpoint deleted, boots on
# to init and powers off (status 0). gdb's output stays in $output.
hbreak_boot() {
	start_linux --gdb-wait --append "nokaslr quiet kvmrun.test=hello"
	run timeout $((60 * TIME_SCALE)) gdb -batch -nx -ex 'set confirm off' -ex "target remote 127.0.0.1:$PORT" \
		-ex "hbreak *$1" -ex 'continue' -ex 'print/x $pc' -ex 'delete' -ex 'continue'
	echo "$output"
	local st=0
	wait "$KPID" || st=$?
	cat "$ERR"
	[[ "$output" == *"Hardware assisted breakpoint 1 at $1"* ]]
	[[ "$output" == *"\$1 = $1"* ]]
	[[ "$output" == *"[Inferior 1 (Remote target) exited normally]"* ]]
	[ "$st" -eq 0 ]
	tr -d '\r' < "$OUT" | grep -qx 'hello from init'
}

@test "gdb: Linux: a hardware breakpoint at start_kernel (its address from the running kernel's kallsyms) stops the boot there" {
	tcg_cpu && skip "QEMU TCG does not arm the debug registers that VMRUN loads (tests/gdb.bats)"
	local sk; sk=$(start_kernel_addr)
	[ -n "$sk" ] || skip "start_kernel's address is unknown: Debian's System.map is a placeholder, and the running kernel is not build/linux's (its /proc/kallsyms would say)"
	hbreak_boot "$sk"
}

@test "gdb: Linux: a hardware breakpoint at vmlinux's entry stops the boot where the decompressor enters it" {
	tcg_cpu && skip "QEMU TCG does not arm the debug registers that VMRUN loads (tests/gdb.bats)"
	local entry; entry=$(elf_addr entry)
	[ "$entry" = 0x1000000 ]
	hbreak_boot "$entry"
	[[ "$output" == *"Breakpoint 1, 0x0000000001000000 in ?? ()"* ]]
}
