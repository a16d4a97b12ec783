# User mode: reading CR0 is privileged; at CPL 3 it raises #GP(0).
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	nop
fault:	mov	%cr0, %rax
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
