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
	mov	%al, %bl
	mov	$0x2f8, %dx
	in	%dx, %ax
	mov	%ax, %si
	mov	%bl, %al
	shr	$4, %al
	call	digit
	mov	%bl, %al
	call	digit
	mov	$' ', %al
	call	putc
	mov	$4, %cx
1:	rol	$4, %si
	mov	%si, %ax
	call	digit
	loop	1b
	mov	$'\n', %al
	call	putc
	hlt
digit:
	and	$0xf, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	putc
	add	$('a' - '9' - 1), %al
putc:
	mov	$COM1, %dx
	out	%al, %dx
	ret
