# Protected mode: prints "P" then CR0's PE bit and CS, exits 0 through 0xf8.
	.code32
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$COM1, %dx
	mov	$'P', %al
	out	%al, %dx
	mov	%cr0, %eax
	and	$1, %eax
	add	$'0', %al
	out	%al, %dx
	mov	%cs, %ax
	add	$'0', %al	# 0x08 -> '8'
	out	%al, %dx
	mov	$'\n', %al
	out	%al, %dx
	mov	$0, %al
	mov	$KVMRUN_EXIT, %dx
	out	%al, %dx
