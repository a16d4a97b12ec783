# User mode: reading the runner's TSS (0x1800, supervisor-only) is a page fault.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
fault:	mov	0x1800, %eax
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
