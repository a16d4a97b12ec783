# Real mode: reads 1 byte at linear 0x100000 (FS = 0xffff, offset 0x10), which is
# beyond --mem 1 (1 MiB) of RAM: an MMIO read exit. Prints "before\n" first.
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
2:	mov	$0xffff, %ax
	mov	%ax, %fs
	mov	%fs:0x10, %al		# linear 0xffff0 + 0x10 = 0x100000: past 1 MiB of RAM
	hlt
msg:	.asciz "before\n"
