# User mode: rep outsb whose source is the runner's exception stubs (0x1900,
# supervisor-only) must not reveal them: the run ends as a guest fault.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	mov	$COM1, %dx
	mov	$0x1900, %esi
	mov	$16, %ecx
fault:	rep outsb
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
