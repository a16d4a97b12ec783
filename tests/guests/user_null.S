# User mode: page 0 is not mapped, so dereferencing NULL is a page fault.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	xor	%ebx, %ebx
fault:	mov	(%rbx), %rax
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
