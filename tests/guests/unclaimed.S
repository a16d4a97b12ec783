# Touches ports with no device: prints the bytes read from 0x80 and 0x2f8 as hex,
# writes to 0x80, then halts. Expected output: "ff ffff\n".
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$0x80, %dx
	mov	$0x12, %al
	out	%al, %dx
	in	%dx, %al
	call	hex8
	mov	$' ', %al
	call	putc
	mov	$0x2f8, %dx
	in	%dx, %ax
	call	hex16
	mov	$'\n', %al
	call	putc
	hlt

	.include "print.inc"
