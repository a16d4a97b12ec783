# Protected mode: prints "before\n", writes zeros over the runner's GDT
# (0x1000-0x101f), prints "clobbered\n" (the loaded segments are cached, so
# nothing breaks yet), then reloads DS with 0x10, now a null descriptor:
# a fault with no IDT, a triple fault.
	.code32
	.include "kvmrun.inc"
	.set	GDT, 0x1000
	.text
	.globl _start
_start:
	mov	$msg, %esi
	call	puts
	mov	$GDT, %edi
	mov	$8, %ecx
	xor	%eax, %eax
	rep stosl
	mov	$msg2, %esi
	call	puts
	mov	$0x10, %ax
	mov	%ax, %ds
	hlt

	.include "print.inc"
msg:	.asciz "before\n"
msg2:	.asciz "clobbered\n"
