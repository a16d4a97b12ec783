# Spins forever after printing "s" (tests/gdb.bats: Ctrl-C from gdb stops it).
	.code64
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$COM1, %dx
	mov	$'s', %al
	out	%al, %dx
spin:
	jmp	spin
