# Echo: copies COM1 input to COM1 output, polling LSR.DR; a newline ends
# the run with status 0 after echoing it. At EOF DR stays clear: it waits.
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
	out	%al, %dx
	cmp	$'\n', %al
	jne	_start
	hlt
