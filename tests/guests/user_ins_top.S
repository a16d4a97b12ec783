# User mode: rep insb into the last 4 bytes of 16 MiB of RAM (0xfffffc-
# 0xffffff) works; the guest prints them back. One more byte, at 0x1000000,
# is beyond RAM: a guest fault.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	mov	$COM1_LSR, %dx
1:	in	%dx, %al
	test	$LSR_DR, %al
	jz	1b
	mov	$COM1, %dx
	mov	$0xfffffc, %edi
	mov	$4, %ecx
	rep insb
	mov	$0xfffffc, %esi
	mov	$4, %r9d
2:	lodsb
	call	putc
	dec	%r9d
	jnz	2b
	mov	$'\n', %al
	call	putc
	mov	$COM1, %dx
	mov	$0x1000000, %edi
	mov	$1, %ecx
fault:	rep insb
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
	.include "print.inc"
