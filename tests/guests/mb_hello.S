# Multiboot hello (ELF): prints "MB ok eax=" and EAX at entry, which a
# Multiboot loader sets to 0x2badb002, then exits through QEMU's port 0xf4
# with 0x15 (status 43). tests/qemu.bats builds it as ELF32 (what QEMU
# loads) and as ELF64 (what QEMU refuses and kvmrun runs): the entry code
# is 32-bit either way, as Multiboot enters in 32-bit protected mode.
	.code32
	.include "kvmrun.inc"
	.set	MB_MAGIC, 0x1badb002
	.set	MB_FLAGS, 0
	.text
	.globl	_start
	.align	4
mb_header:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
_start:
	mov	%eax, %edi		# puts clobbers EAX; EDI survives
	mov	$stack_top, %esp	# Multiboot leaves ESP undefined
	mov	$msg, %esi
	call	puts
	mov	%edi, %eax
	call	hex32
	mov	$'\n', %al
	call	putc
	mov	$0x15, %al
	out	%al, $QEMU_EXIT
	hlt

	.include "print.inc"
msg:	.asciz	"MB ok eax="

	.bss
	.align	16
	.skip	256
stack_top:
