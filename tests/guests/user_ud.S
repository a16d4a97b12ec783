# User mode: ud2 raises #UD, reported at the ud2.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	nop
fault:	ud2
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
