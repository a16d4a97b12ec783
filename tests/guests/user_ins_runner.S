# User mode: rep insb whose destination is the runner's GDT page (0x1000,
# supervisor-only) must not write there: the run ends as a guest fault.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	lea	msg(%rip), %rsi
	call	puts
	mov	$COM1_LSR, %dx
1:	in	%dx, %al
	test	$LSR_DR, %al
	jz	1b
	mov	$COM1, %dx
	mov	$0x1000, %edi
	mov	$4, %ecx
fault:	rep insb
	lea	after(%rip), %rsi
	call	puts
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
msg:	.asciz	"reading into 0x1000\n"
after:	.asciz	"the read went through\n"
	.include "print.inc"
