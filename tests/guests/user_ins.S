# User mode: string input from CPL 3. Waits for input, then reads 5 bytes from
# COM1 with rep insb and a 6th with a plain insb, and prints them back.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	mov	$COM1_LSR, %dx
1:	in	%dx, %al
	test	$LSR_DR, %al
	jz	1b
	mov	$COM1, %dx
	lea	buf(%rip), %rdi
	mov	$5, %ecx
	rep insb
	insb
	lea	buf(%rip), %rsi
	call	puts
	mov	$'\n', %al
	call	putc
	xor	%eax, %eax
	out	%al, $KVMRUN_EXIT
buf:	.fill	8, 1, 0
	.include "print.inc"
