# Writes 65536 bytes, the values 0..255 in order 256 times, one OUT each, then halts.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$COM1, %dx
	xor	%cx, %cx		# 65536 iterations: loop wraps from 0
	xor	%al, %al
1:	out	%al, %dx
	inc	%al
	loop	1b
	hlt
