# User mode: int $0x80, a vector beyond the runner's 32-gate IDT: #GP with
# the IDT error code (0x80 << 3 | 2), not a call into anything.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	nop
fault:	int	$0x80
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
