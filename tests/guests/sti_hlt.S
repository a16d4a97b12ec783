# Prints "idling", then halts with interrupts on, for ever: with --irqchip
# nothing interrupts it (no timer is programmed), so --timeout ends the run.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %si
	call	puts
	sti
1:	hlt
	jmp	1b

	.include "print.inc"
msg:	.asciz "idling\n"
