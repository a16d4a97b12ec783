# A Multiboot kernel that prints "halting" and halts with interrupts off.
	.code32
	.include "kvmrun.inc"
	.set MB_FLAGS, 0
	.text
	.globl _start
_start:
	jmp	start
	.align	4
	.long	0x1badb002, MB_FLAGS, -(0x1badb002 + MB_FLAGS)
start:
	mov	$msg, %esi
	call	puts
	cli
	hlt

	.include "print.inc"
msg:	.asciz "halting\n"
