# User mode: int $14 tries to enter the page-fault stub from CPL 3 and forge
# a report. The gate's DPL is 0: #GP with error code 14 << 3 | 2 = 0x72.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	nop
fault:	int	$14
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
