# User mode: jumping into the runner's exception stubs (0x1900, supervisor-only)
# is a page fault on the instruction fetch, reported at the target address.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	mov	$0x1900, %eax
	jmp	*%rax
