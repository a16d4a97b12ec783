# Counts forever: "0000\n", "0001\n", ... (4 hex digits, wrapping), one line
# about every 2^25 TSC cycles (10-15 ms on a 2-3 GHz TSC), so a test can
# pause the VM, see the count stop, resume it and see no line lost.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	xor	%bp, %bp
1:	mov	%bp, %ax
	call	hex16
	mov	$'\n', %al
	call	putc
	inc	%bp
	rdtsc
	mov	%eax, %edi
2:	rdtsc
	sub	%edi, %eax
	cmp	$0x2000000, %eax
	jb	2b
	jmp	1b

	.include "print.inc"
