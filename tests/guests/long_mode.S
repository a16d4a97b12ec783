# Long mode: prints "L", EFER.LMA and CS's L bit proof (a 64-bit register op), exits 42.
	.code64
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$COM1, %dx
	mov	$'L', %al
	out	%al, %dx
	mov	$0xc0000080, %ecx
	rdmsr
	shr	$10, %eax	# EFER.LMA
	and	$1, %eax
	add	$'0', %al
	mov	$COM1, %dx	# RDMSR wrote EDX
	out	%al, %dx
	movabs	$0x100000000, %rax	# only a 64-bit CPU mode keeps bit 32
	shr	$32, %rax
	add	$'0', %al
	out	%al, %dx
	mov	$'\n', %al
	out	%al, %dx
	mov	$42, %al
	mov	$KVMRUN_EXIT, %dx
	out	%al, %dx
