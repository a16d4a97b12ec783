# User mode: a write to the runner's GDT page (0x1000, supervisor-only) is a
# page fault that ends the run; what the guest printed before it is kept.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	lea	msg(%rip), %rsi
	call	puts
fault:	movl	$0x12345678, 0x1000
	lea	after(%rip), %rsi
	call	puts
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
msg:	.asciz	"writing 0x1000\n"
after:	.asciz	"the write went through\n"
	.include "print.inc"
