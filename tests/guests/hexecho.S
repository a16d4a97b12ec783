# Prints every byte it receives on COM1 as two hex digits and a space;
# a 'q' is printed too and ends the run with status 0.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$COM1_LSR, %dx
	in	%dx, %al
	test	$LSR_DR, %al
	jz	_start
	mov	$COM1, %dx
	in	%dx, %al
	mov	%al, %bl
	call	hex8
	mov	$' ', %al
	call	putc
	cmp	$'q', %bl
	jne	_start
	mov	$'\n', %al
	call	putc
	hlt

	.include "print.inc"
