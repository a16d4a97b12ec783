# Long mode, no IDT: prints "before\n", then reads through a non-canonical
# address (#GP).
	.code64
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	lea	msg(%rip), %rsi
	call	puts
	mov	$0x8000000000000000, %rbx
	mov	(%rbx), %al
	hlt

	.include "print.inc"
msg:	.asciz "before\n"
