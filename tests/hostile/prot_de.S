# Protected mode, no IDT: prints "before\n", then divides by zero (#DE).
	.code32
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %esi
	call	puts
	xor	%ecx, %ecx
	mov	$0x1234abcd, %eax
	xor	%edx, %edx
	div	%ecx
	hlt

	.include "print.inc"
msg:	.asciz "before\n"
