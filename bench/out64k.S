# Benchmark guest: 16-bit real mode, writes exactly 65536 bytes to COM1,
# one OUT (one VM exit) per byte, bytes 0x00, 0x01, ... 0xff repeating,
# then halts. No LSR polling: each byte costs one exit and nothing else.
# Unrolled 16 times so the loop adds only one LOOP per 16 bytes: on a host
# that emulates real mode every guest instruction counts.
	.code16
	.include "kvmrun.inc"
	.set UNROLL, 16
	.text
	.globl _start
_start:
	mov	$COM1, %dx
	mov	$65536 / UNROLL, %cx
	xor	%al, %al
next:
	.rept	UNROLL
	out	%al, %dx
	inc	%al		# the pattern: low byte of the byte counter
	.endr
	loop	next
	hlt			# ends the run with status 0
