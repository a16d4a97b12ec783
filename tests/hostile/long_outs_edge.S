# rep outsb of 16 bytes from 8 bytes below the end of RAM (--mem 16): the
# 8 bytes inside ("hi\n" and five zeros) go out, then the first byte outside
# RAM is a guest fault. In user mode kvmrun carries out the outsb itself.
	.code64
	.include "kvmrun.inc"
	.set	TOP, 0x1000000
	.text
	.globl _start
_start:
	movq	$0x0a6968, TOP - 8
	mov	$TOP - 8, %rsi
	mov	$16, %ecx
	mov	$COM1, %dx
fault:	rep outsb
	hlt
