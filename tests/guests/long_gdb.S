# gdb's target (tests/gdb.bats): work() runs three times, each time counting in
# counter and printing letter; then the status byte is the exit status (7).
# Symbols for gdb: _start, work, done, counter, letter, status.
	.code64
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	call	work
	call	work
	call	work
	movzbl	status(%rip), %eax
done:
	mov	$KVMRUN_EXIT, %dx
	out	%al, %dx
	hlt

	.globl work
work:
	incl	counter(%rip)
	movzbl	letter(%rip), %eax
	mov	$COM1, %dx
	out	%al, %dx
	ret

	.data
	.balign 8
	.globl counter, letter, status
counter: .long 0
letter:	.byte 'a'
status:	.byte 7
