# Multiboot command line: prints "cmdline=[...]" with the string the info
# structure's cmdline field points to (valid when flags bit 2 is set), or
# "no cmdline" when that bit is clear, then exits through 0xf4 with 0x21
# (status 67). QEMU's string is the kernel's file name as given, a space,
# then the -append text (empty without -append).
	.code32
	.include "kvmrun.inc"
	.set	MB_MAGIC, 0x1badb002
	.set	MB_FLAGS, 0
	.set	MBI_FLAGS, 0
	.set	MBI_CMDLINE, 16
	.set	MBI_HAS_CMDLINE, 1 << 2
	.text
	.globl	_start
	.align	4
mb_header:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
_start:
	mov	$stack_top, %esp
	mov	%ebx, %edi		# the info structure
	testl	$MBI_HAS_CMDLINE, MBI_FLAGS(%edi)
	jz	1f
	mov	$msg_open, %esi
	call	puts
	mov	MBI_CMDLINE(%edi), %esi
	call	puts
	mov	$msg_close, %esi
	call	puts
	jmp	2f
1:	mov	$msg_none, %esi
	call	puts
2:	mov	$0x21, %al
	out	%al, $QEMU_EXIT
	hlt

	.include "print.inc"
msg_open:  .asciz "cmdline=["
msg_close: .asciz "]\n"
msg_none:  .asciz "no cmdline\n"

	.bss
	.align	16
	.skip	256
stack_top:
