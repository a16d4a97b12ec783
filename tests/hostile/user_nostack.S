# User mode: RSP = 0, then a push: the write goes to 0xfffffffffffffff8,
# which nothing maps. The exception still reaches the runner on its own
# stack (the TSS's RSP0) and is reported precisely.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	xor	%esp, %esp
fault:	push	%rax
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
