# Real mode: prints "before\n", then reads 1 byte at linear 0x100000
# (FS = 0xffff, offset 0x10), beyond --mem 1 (1 MiB) of RAM: an MMIO read exit.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %si
	call	puts
	mov	$0xffff, %ax
	mov	%ax, %fs
	mov	%fs:0x10, %al
	hlt

	.include "print.inc"
msg:	.asciz "before\n"
