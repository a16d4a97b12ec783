# Real mode: prints "spinning\n", turns interrupts off and spins for ever.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %si
	call	puts
	cli
1:	jmp	1b

	.include "print.inc"
msg:	.asciz "spinning\n"
