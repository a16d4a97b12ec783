# User mode: HLT at CPL 3 raises #GP, which the runner turns into the end of
# the run with status 0, as HLT ends a run in the other modes.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	lea	msg(%rip), %rsi
	call	puts
	hlt
	lea	after(%rip), %rsi
	call	puts
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
msg:	.asciz	"before hlt\n"
after:	.asciz	"after hlt\n"
	.include "print.inc"
