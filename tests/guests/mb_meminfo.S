# Multiboot memory information: asks for it (header flags bit 1) and prints
# mem_upper, the KiB of RAM from 1 MiB up to the first hole, when flags bit
# 0 says it is valid. mem_lower is not printed: QEMU gives 639 (its BIOS
# keeps the top KiB below 640 KiB), kvmrun 640 (no BIOS). Exits through
# 0xf4 with 0x07 (status 15).
	.code32
	.include "kvmrun.inc"
	.set	MB_MAGIC, 0x1badb002
	.set	MB_FLAGS, 1 << 1	# memory information
	.set	MBI_FLAGS, 0
	.set	MBI_MEM_UPPER, 8
	.set	MBI_HAS_MEM, 1 << 0
	.text
	.globl	_start
	.align	4
mb_header:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
_start:
	mov	$stack_top, %esp
	mov	%ebx, %edi
	mov	$msg_none, %esi
	testl	$MBI_HAS_MEM, MBI_FLAGS(%edi)
	jz	1f
	mov	$msg_upper, %esi
	call	puts
	mov	MBI_MEM_UPPER(%edi), %eax
	call	hex32
	mov	$msg_nl, %esi
1:	call	puts
	mov	$0x07, %al
	out	%al, $QEMU_EXIT
	hlt

	.include "print.inc"
msg_upper: .asciz "mem_upper="
msg_nl:	   .asciz "\n"
msg_none:  .asciz "no memory information\n"

	.bss
	.align	16
	.skip	256
stack_top:
