# Protected mode with no IDT: prints "before\n", then an invalid opcode.
# #UD cannot be delivered, so the CPU triple-faults: a guest fault.
	.code32
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %esi
	mov	$COM1, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	mov	$0x1234abcd, %eax
	ud2
msg:	.asciz "before\n"
