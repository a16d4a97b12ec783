# Writes "flood\n" forever.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %si
	mov	$COM1, %dx
1:	lodsb
	test	%al, %al
	jz	_start
	out	%al, %dx
	jmp	1b
msg:	.asciz "flood\n"
