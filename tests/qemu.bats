#!/usr/bin/env bats
# kvmrun against QEMU, the reference peer: the same Multiboot kernel, run by
# both with the same arguments, must write the same stdout bytes and end
# with the same status. The kernels are tests/guests/mb_*.S, built here
# (the Makefile's flat-binary rule does not make ELF32 Multiboot kernels).
#
# QEMU's side is the fastest command line found that boots Multiboot with
# COM1 on stdio and isa-debug-exit on port 0xf4: microvm (about 30 ms here;
# -M pc takes 1.4 s and SeaBIOS writes its banner on stdout), whose
# firmware, qboot (bios-microvm.bin), loads the Multiboot kernel from fw_cfg
# itself, so option ROMs are off; no ACPI (-4 ms), no RTC, PIT, PIC or
# second IOAPIC; RAM as each defaults (128 MiB for Multiboot, both); -cpu host, without which
# QEMU warns about CPUID bits this host lacks. It writes nothing of its own
# on stdout or stderr, so nothing is filtered: outputs are compared as they
# are.
#
# Arguments map one to one:
#   qemu -kernel K -append A          kvmrun --append A K
#   qemu -initrd "f1 args,f2"         kvmrun --module "f1,args" --module f2
#   qemu -initrd f                    kvmrun --initrd f
#   qemu -m N (MiB)                   kvmrun --mem N
load helpers

QEMU_OPTS=(-accel kvm -cpu host
	-M microvm,x-option-roms=off,rtc=off,pit=off,pic=off,pcie=off,acpi=off,ioapic2=off
	-nodefaults -no-user-config -nographic -serial stdio
	-device isa-debug-exit,iobase=0xf4,iosize=4)

need_qemu() {
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86): no reference to compare with"
	need_kvm
	[ ! -s "$BATS_FILE_TMPDIR/qemu_cannot" ] || skip "$(cat "$BATS_FILE_TMPDIR/qemu_cannot")"
}

setup_file() {
	local k norwx=
	ld --help 2>/dev/null | grep -q -- --no-warn-rwx-segments && norwx=--no-warn-rwx-segments
	cd "$BATS_FILE_TMPDIR"
	# ELF32 Multiboot kernels at 1 MiB: what QEMU loads.
	for k in mb_hello mb_cmdline mb_mods mb_state mb_meminfo mb_fwcfg; do
		as --32 -I "$ROOT/guest" -o "$k.o" "$G/$k.S"
		ld -m elf_i386 $norwx -N -Ttext=0x100000 -e _start -o "$k.elf" "$k.o"
	done
	# The a.out kludge: a flat binary whose header says where it goes.
	as --32 -I "$ROOT/guest" -o mb_aout.o "$G/mb_aout.S"
	ld -m elf_i386 $norwx -N -Ttext=0x200000 -e _start -o mb_aout.elf mb_aout.o
	objcopy -O binary mb_aout.elf mb_aout.bin
	# ELF64 with the same 32-bit entry code: QEMU refuses it, kvmrun runs it.
	as --64 -I "$ROOT/guest" -o mb_hello64.o "$G/mb_hello.S"
	ld -m elf_x86_64 $norwx -N -Ttext=0x100000 -e _start -o mb_hello64.elf mb_hello64.o
	# Modules: text, binary larger than a page (so the next one's alignment
	# is not free), and an empty file.
	printf 'hello module one\n' >m1.txt
	python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 20 + b"\xee")' >m2.bin
	: >m3.empty
	# Can QEMU run a guest on this /dev/kvm at all? (QEMU 7.2 aborts on PVM's,
	# failing to set an MSR.) If not, there is nothing to compare with.
	if [ -r /dev/kvm ] && command -v qemu-system-x86_64 >/dev/null; then
		local st=0
		timeout -k 2 $((60 * TIME_SCALE)) qemu-system-x86_64 "${QEMU_OPTS[@]}" -kernel mb_hello.elf \
			</dev/null >probe.out 2>probe.err || st=$?
		[ "$st" -eq 43 ] || echo "QEMU cannot run a guest on this /dev/kvm: $(head -n 1 probe.err)" > qemu_cannot
	fi
}

# Run from the kernels' directory so file names, which both pass to the
# kernel as given, stay short in the expected strings.
setup() {
	need_qemu
	cd "$BATS_FILE_TMPDIR"
}

qemu() {
	timeout -k 2 $((60 * TIME_SCALE)) qemu-system-x86_64 "${QEMU_OPTS[@]}" "$@" </dev/null
}

kvmrun60() {
	timeout -k 2 $((60 * TIME_SCALE)) "$KVMRUN" "$@" </dev/null
}

# both QEMU_ARGS... -- KVMRUN_ARGS...: runs each once; stdout, stderr in
# $BATS_TEST_TMPDIR/{q,k}.{out,err}, statuses in $qs and $ks.
both() {
	local -a q=()
	while [ "$1" != -- ]; do q+=("$1"); shift; done
	shift
	qs=0 ks=0
	qemu "${q[@]}" >"$BATS_TEST_TMPDIR/q.out" 2>"$BATS_TEST_TMPDIR/q.err" || qs=$?
	kvmrun60 "$@" >"$BATS_TEST_TMPDIR/k.out" 2>"$BATS_TEST_TMPDIR/k.err" || ks=$?
	show
}

# What each side did, shown by bats when a test fails.
show() {
	local f
	echo "qemu: status $qs; kvmrun: status $ks"
	for f in q.out k.out q.err k.err; do
		echo "--- $f:"
		od -An -c "$BATS_TEST_TMPDIR/$f" | head -20
	done
}

# qemu_said STATUS TEXT: QEMU's stdout is exactly TEXT (printf %b), its
# stderr empty: the reference behaves as this file says before kvmrun is
# held to it.
qemu_said() {
	[ "$qs" -eq "$1" ]
	printf '%b' "$2" | cmp - "$BATS_TEST_TMPDIR/q.out"
	[ ! -s "$BATS_TEST_TMPDIR/q.err" ]
}

# kvmrun wrote the same stdout bytes, ended with the same status, and had
# nothing to say on stderr (QEMU had nothing either).
same_as_qemu() {
	cmp "$BATS_TEST_TMPDIR/q.out" "$BATS_TEST_TMPDIR/k.out"
	[ "$ks" -eq "$qs" ]
	[ ! -s "$BATS_TEST_TMPDIR/k.err" ]
}

@test "mb_hello (ELF32): same stdout ('MB ok', EAX = 2badb002) and status 43 from port 0xf4, (v << 1) | 1" {
	both -kernel mb_hello.elf -- mb_hello.elf
	qemu_said 43 'MB ok eax=2badb002\n'
	same_as_qemu
}

@test "mb_cmdline without -append / --append: same command line 'FILE ' (name, a space) and status" {
	both -kernel mb_cmdline.elf -- mb_cmdline.elf
	qemu_said 67 'cmdline=[mb_cmdline.elf ]\n'
	same_as_qemu
}

@test "mb_cmdline with -append / --append: same command line 'FILE ARGS', spaces and quotes kept, and status" {
	both -kernel mb_cmdline.elf -append 'console=ttyS0  a="b c" -- x' -- --append 'console=ttyS0  a="b c" -- x' mb_cmdline.elf
	qemu_said 67 'cmdline=[mb_cmdline.elf console=ttyS0  a="b c" -- x]\n'
	same_as_qemu
}

@test "mb_cmdline: same command line for the file name as given (./, absolute) with an empty append" {
	both -kernel ./mb_cmdline.elf -append '' -- --append '' ./mb_cmdline.elf
	qemu_said 67 'cmdline=[./mb_cmdline.elf ]\n'
	same_as_qemu
	both -kernel "$BATS_FILE_TMPDIR/mb_cmdline.elf" -append x -- --append x "$BATS_FILE_TMPDIR/mb_cmdline.elf"
	qemu_said 67 "cmdline=[$BATS_FILE_TMPDIR/mb_cmdline.elf x]\n"
	same_as_qemu
}

@test "mb_mods without -initrd / --module: same module list (QEMU sets flags bit 3 with 0 modules) and status" {
	both -kernel mb_mods.elf -- mb_mods.elf
	qemu_said 85 'mods=00\n'
	same_as_qemu
}

@test "mb_mods with two modules: same strings ('file args'), lengths, page alignment, first bytes and status" {
	both -kernel mb_mods.elf -initrd 'm1.txt arg one,m2.bin' -- --module 'm1.txt,arg one' --module m2.bin mb_mods.elf
	qemu_said 85 'mods=02\nmod [m1.txt arg one] len=00000011 page-aligned 68 65 6c 6c 6f 20 6d 6f\nmod [m2.bin] len=00001401 page-aligned 00 01 02 03 04 05 06 07\n'
	same_as_qemu
}

@test "mb_mods with modules and -append / --append together: same output and status" {
	both -kernel mb_mods.elf -append 'k=v' -initrd 'm2.bin x,m1.txt' -- --append 'k=v' --module m2.bin,x --module m1.txt mb_mods.elf
	qemu_said 85 'mods=02\nmod [m2.bin x] len=00001401 page-aligned 00 01 02 03 04 05 06 07\nmod [m1.txt] len=00000011 page-aligned 68 65 6c 6c 6f 20 6d 6f\n'
	same_as_qemu
}

@test "mb_mods with an empty module file: same zero-length module and status" {
	both -kernel mb_mods.elf -initrd 'm3.empty x,m1.txt' -- --module m3.empty,x --module m1.txt mb_mods.elf
	qemu_said 85 'mods=02\nmod [m3.empty x] len=00000000 page-aligned\nmod [m1.txt] len=00000011 page-aligned 68 65 6c 6c 6f 20 6d 6f\n'
	same_as_qemu
}

@test "mb_mods with -initrd / --initrd, one file: same module and status" {
	both -kernel mb_mods.elf -initrd m1.txt -- --initrd m1.txt mb_mods.elf
	qemu_said 85 'mods=01\nmod [m1.txt] len=00000011 page-aligned 68 65 6c 6c 6f 20 6d 6f\n'
	same_as_qemu
}

@test "mb_mods with -initrd / --initrd 'FILE ARGS,FILE2': same modules and status" {
	both -kernel mb_mods.elf -initrd 'm1.txt a,m2.bin' -- --initrd 'm1.txt a,m2.bin' mb_mods.elf
	qemu_said 85 'mods=02\nmod [m1.txt a] len=00000011 page-aligned 68 65 6c 6c 6f 20 6d 6f\nmod [m2.bin] len=00001401 page-aligned 00 01 02 03 04 05 06 07\n'
	same_as_qemu
}

@test "mb_meminfo by default (128 MiB both) and with -m / --mem 16, 64 and 100 MiB: same mem_upper and status" {
	both -kernel mb_meminfo.elf -- mb_meminfo.elf
	qemu_said 15 'mem_upper=0001fc00\n'
	same_as_qemu
	both -m 16 -kernel mb_meminfo.elf -- --mem 16 mb_meminfo.elf
	qemu_said 15 'mem_upper=00003c00\n'
	same_as_qemu
	both -m 64 -kernel mb_meminfo.elf -- --mem 64 mb_meminfo.elf
	qemu_said 15 'mem_upper=0000fc00\n'
	same_as_qemu
	both -m 100 -kernel mb_meminfo.elf -- --mem 100 mb_meminfo.elf
	qemu_said 15 'mem_upper=00018c00\n'
	same_as_qemu
}

@test "mb_fwcfg: same fw_cfg signature, RAM size, CPU count and command line (-append / --append) and status" {
	both -m 64 -kernel mb_fwcfg.elf -append 'a  b=c' -- --mem 64 --append 'a  b=c' mb_fwcfg.elf
	qemu_said 23 'fw_cfg sig=QEMU ram=0000000400000000 cpus=0100 cmdline=[a  b=c]\n'
	same_as_qemu
	both -kernel mb_fwcfg.elf -- mb_fwcfg.elf
	qemu_said 23 'fw_cfg sig=QEMU ram=0000000800000000 cpus=0100 cmdline=[]\n'
	same_as_qemu
}

@test "mb_aout (a.out kludge, flat binary at 0x200000): same line, zeroed bss, and status 103 from a 2-byte write" {
	both -kernel mb_aout.bin -- mb_aout.bin
	qemu_said 103 'MB a.out kludge ok bss=00000000\n'
	same_as_qemu
}

@test "mb_state: same entry state (CR0 = PE|ET, CS, IF clear) and status 255 from a 4-byte write of 0x1ff" {
	both -kernel mb_state.elf -- mb_state.elf
	qemu_said 255 'multiboot cr0=00000011 cs=0008 if=0\n'
	same_as_qemu
}

@test "mb_hello as ELF64: QEMU refuses it with its message and status 1; kvmrun runs it as QEMU runs the ELF32 build" {
	both -kernel mb_hello64.elf -- mb_hello64.elf
	[ "$qs" -eq 1 ]
	[ ! -s "$BATS_TEST_TMPDIR/q.out" ]
	[ "$(cat "$BATS_TEST_TMPDIR/q.err")" = "qemu-system-x86_64: Cannot load x86-64 image, give a 32bit one." ]
	[ "$ks" -eq 43 ]
	printf 'MB ok eax=2badb002\n' | cmp - "$BATS_TEST_TMPDIR/k.out"
	[ ! -s "$BATS_TEST_TMPDIR/k.err" ]
}

# QEMU warns when -smp exceeds KVM_CAP_NR_VCPUS, the CPUs KVM recommends (the
# host's CPU count: 1 in the test host); kvmrun allows up to KVM_CAP_MAX_VCPUS
# silently. Those two lines alone are dropped from QEMU's stderr.
both_smp() {
	both "$@"
	sed -i -E '/warning: Number of (SMP|hotpluggable) cpus requested \([0-9]+\) exceeds the recommended cpus supported by KVM/d' \
		"$BATS_TEST_TMPDIR/q.err"
}

@test "mb32_smp with -smp 1, 2, 4 / --cpus: same lines (each AP's APIC ID, then the shared total) and status 1" {
	local n
	for n in 1 2 4; do
		both_smp -smp "$n" -kernel "$G/mb32_smp.elf32" -- --cpus "$n" "$G/mb32_smp.elf32"
		[ "$qs" -eq 1 ]
		[ "$(head -n 1 "$BATS_TEST_TMPDIR/q.out")" = "$(printf 'cpus=%02x' "$n")" ]
		same_as_qemu
	done
}

@test "mb32_smp -append e: an AP's exit-port write ends both runs with the same status (41) and lines" {
	both_smp -smp 4 -kernel "$G/mb32_smp.elf32" -append e -- --cpus 4 --append e "$G/mb32_smp.elf32"
	qemu_said 41 'cpus=04\ncpu 01 up\ncpu 02 up\ncpu 03 up\ntotal=00061a80\nexit from cpu 03\n'
	same_as_qemu
}
