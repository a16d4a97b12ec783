# Protected mode with no IDT: prints "before\n", then an invalid opcode.
# #UD cannot be delivered, so the CPU triple-faults: a guest fault.
	.code32
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %esi
	call	puts
	mov	$0x1234abcd, %eax
	ud2

	.include "print.inc"
msg:	.asciz "before\n"
