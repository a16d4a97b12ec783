# Writes "flood\n" forever.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %si
	call	puts
	jmp	_start

	.include "print.inc"
msg:	.asciz "flood\n"
