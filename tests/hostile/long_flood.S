# Long mode: writes 256 KiB to COM1 with one rep outsb and exits through
# 0xf8 with 0. Byte i is (i ^ i >> 8 ^ i >> 16) & 0xff: every 256-byte block
# differs from its neighbours, so a lost, doubled or reordered block shows.
# Built 256 bytes at a time: qword q of block k is that of block 0 XOR k's
# mask, which keeps the emulated instruction count low.
	.code64
	.include "kvmrun.inc"
	.set	BUF, 0x200000
	.set	LEN, 0x40000
	.text
	.globl _start
_start:
	mov	$BUF, %rdi
	xor	%eax, %eax		# block 0: bytes 0..255
1:	stosb
	inc	%al
	jnz	1b
	mov	$1, %ecx		# block k
block:
	mov	%ecx, %eax		# mask = ((k ^ k >> 8) & 0xff) * 0x0101010101010101
	shr	$8, %eax
	xor	%ecx, %eax
	movzbl	%al, %eax
	mov	$0x0101010101010101, %rdx
	imul	%rdx, %rax
	mov	$BUF, %rsi
	mov	$32, %edx
2:	mov	(%rsi), %r8
	xor	%rax, %r8
	mov	%r8, (%rdi)
	add	$8, %rsi
	add	$8, %rdi
	dec	%edx
	jnz	2b
	inc	%ecx
	cmp	$LEN / 256, %ecx
	jne	block
	mov	$BUF, %rsi
	mov	$LEN, %ecx
	mov	$COM1, %dx
	rep outsb
	xor	%eax, %eax
	out	%al, $KVMRUN_EXIT
	hlt
