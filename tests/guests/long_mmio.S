# Long mode: prints "before\n", then writes 4 bytes to 0x2000000 (32 MiB),
# which is mapped by the page tables but outside 16 MiB of RAM: an MMIO exit.
	.code64
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	lea	msg(%rip), %rsi
	call	puts
	mov	$0x2000000, %rbx
	movl	$0xdeadbeef, (%rbx)
	hlt

	.include "print.inc"
msg:	.asciz "before\n"
