# User mode: calling a NULL function pointer faults fetching from page 0, which
# is not mapped; the call pushed its return address first.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	xor	%eax, %eax
call:	call	*%rax
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
