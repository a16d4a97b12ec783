# The guest's own int3 with gdb attached (tests/gdb.bats): its #BP handler
# prints B, so the run prints "aBc" and ends with status 5 whether or not a
# debugger is there. Symbols for gdb: _start, last.
	.code64
	.include "kvmrun.inc"
	.text
	.globl _start, last
_start:
	lea	idt(%rip), %rdi			# interrupt gate for #BP (3) -> bp
	lea	bp(%rip), %rax
	mov	%ax, 3*16(%rdi)
	movw	$0x18, 3*16+2(%rdi)		# the runner's 64-bit code selector
	movw	$0x8e00, 3*16+4(%rdi)		# present, DPL 0, 64-bit interrupt gate
	shr	$16, %rax
	mov	%ax, 3*16+6(%rdi)
	shr	$16, %rax
	mov	%eax, 3*16+8(%rdi)
	lidt	idtr(%rip)
	mov	$COM1, %dx
	mov	$'a', %al
	out	%al, %dx
	int3
	mov	$'c', %al
	out	%al, %dx
last:
	mov	$5, %al
	mov	$KVMRUN_EXIT, %dx
	out	%al, %dx
	hlt

bp:	mov	$'B', %al
	out	%al, %dx
	iretq

	.data
idtr:	.word	3*16+15
	.quad	idt
	.align	16
idt:	.fill	4*16, 1, 0
