# Multiboot entry state: prints CR0, CS and EFLAGS.IF as they were at entry.
# The Multiboot specification fixes CR0.PE set, CR0.PG clear, CS a flat
# 32-bit code segment (its selector value is the loader's choice) and IF
# clear. Exits through 0xf4 with a 4-byte write of 0x1ff: (v << 1) | 1 is
# 0x3ff, status 255 once truncated to 8 bits.
	.code32
	.include "kvmrun.inc"
	.set	MB_MAGIC, 0x1badb002
	.set	MB_FLAGS, 0
	.set	EFLAGS_IF, 1 << 9
	.text
	.globl	_start
	.align	4
mb_header:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
_start:
	mov	$stack_top, %esp	# Multiboot leaves ESP undefined; mov keeps EFLAGS
	pushf
	pop	%ebp
	mov	$msg_cr0, %esi
	call	puts
	mov	%cr0, %eax
	call	hex32
	mov	$msg_cs, %esi
	call	puts
	mov	%cs, %eax
	call	hex16
	mov	$msg_if, %esi
	call	puts
	mov	%ebp, %eax
	shr	$9, %eax
	and	$1, %eax
	add	$'0', %al
	call	putc
	mov	$'\n', %al
	call	putc
	mov	$0x1ff, %eax
	out	%eax, $QEMU_EXIT
	hlt

	.include "print.inc"
msg_cr0: .asciz "multiboot cr0="
msg_cs:	.asciz " cs="
msg_if:	.asciz " if="

	.bss
	.align	16
	.skip	256
stack_top:
