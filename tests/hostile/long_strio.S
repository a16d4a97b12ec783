# String I/O larger than the run page, one instruction each: rep insb of
# 8 KiB from COM1 into a buffer that starts mid-page and spans three pages,
# then rep outsb of the same 8 KiB to COM1, then exit through 0xf8 with 0.
# What comes out is what came in, followed by zeros where input ran out.
	.code64
	.include "kvmrun.inc"
	.set	BUF, 0x200800
	.set	LEN, 0x2000
	.text
	.globl _start
_start:
	mov	$BUF, %rdi
	mov	$LEN, %ecx
	mov	$COM1, %dx
	rep insb
	mov	$BUF, %rsi
	mov	$LEN, %ecx
	rep outsb
	xor	%eax, %eax
	out	%al, $KVMRUN_EXIT
	hlt
