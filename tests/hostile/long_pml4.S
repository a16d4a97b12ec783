# Long mode: prints "before\n", writes zeros over the PML4 (0x2000), reloads
# CR3 so no stale translation survives, and touches memory. The next fetch
# or access has no mapping: a page fault with no IDT, a triple fault.
	.code64
	.include "kvmrun.inc"
	.set	PML4, 0x2000
	.text
	.globl _start
_start:
	lea	msg(%rip), %rsi
	call	puts
	mov	$PML4, %rdi
	mov	$512, %ecx
	xor	%eax, %eax
	rep stosq
	mov	%cr3, %rax
	mov	%rax, %cr3
	mov	0x300000, %al
	hlt

	.include "print.inc"
msg:	.asciz "before\n"
