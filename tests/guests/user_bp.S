# User mode: int3 at CPL 3. The runner's IDT gates are DPL 0, so the CPU
# refuses the software interrupt with #GP, error code 3 * 8 + 2 (IDT, vector
# 3), reported at the int3 itself, instead of delivering #BP.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	nop
fault:	int3
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
