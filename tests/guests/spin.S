# Prints "spinning\n" and then loops forever without any exit.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %si
	call	puts
1:	jmp	1b

	.include "print.inc"
msg:	.asciz "spinning\n"
