# The kit's Multiboot v1 entry (32-bit): the header a Multiboot loader
# (kvmrun, QEMU's -kernel, GRUB) looks for in the first 8 KiB of the file,
# and the entry it jumps to in 32-bit protected mode, paging off, with
# EAX = 0x2BADB002 and EBX = the Multiboot information structure. Set up
# our own stack, zero .bss, call int kmain(uint32_t magic,
# struct multiboot_info *mbi), then exit() with what it returned.
	.set	MB_MAGIC, 0x1BADB002
	.set	MB_FLAGS, 0x3		# bit 0: page-align modules; bit 1: memory info
	.section .multiboot, "a"
	.balign	4
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.section .text.start, "ax"
	.code32
	.globl	_start
_start:
	mov	%eax, %esi		# rep stosb needs EAX; EBX is left alone
	cld
	mov	$__bss_start, %edi
	mov	$__bss_end, %ecx
	sub	%edi, %ecx
	xor	%eax, %eax
	rep stosb
	mov	$kit_stack_top, %esp
	xor	%ebp, %ebp
	sub	$8, %esp		# keep ESP 16-byte aligned at the call
	push	%ebx
	push	%esi
	call	kmain
	add	$4, %esp
	push	%eax
	call	exit
1:	hlt
	jmp	1b

	.section .stack, "aw", @nobits	# after .bss: not zeroed, only used
	.balign	16
	.skip	64 * 1024
kit_stack_top:

	.section .note.GNU-stack, "", @progbits
