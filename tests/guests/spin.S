# Prints "spinning\n" and then loops forever without any exit.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %si
	mov	$COM1, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	jmp	2b
msg:	.asciz "spinning\n"
