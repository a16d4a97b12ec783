# User mode: dividing by zero raises #DE, reported at the div.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	mov	$7, %eax
	xor	%edx, %edx
	xor	%ecx, %ecx
fault:	div	%ecx
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
