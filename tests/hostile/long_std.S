# String I/O with the direction flag set (addresses go down), 6000 bytes
# across page boundaries: rep insb backwards from the buffer's last byte
# (so memory holds the input reversed), rep outsb forwards from its first
# byte (the input reversed), then rep outsb backwards from its last byte
# (the input as it came), then exit through 0xf8 with 0.
	.code64
	.include "kvmrun.inc"
	.set	BUF, 0x200f00
	.set	LEN, 6000
	.text
	.globl _start
_start:
	mov	$COM1, %dx
	std
	mov	$BUF + LEN - 1, %rdi
	mov	$LEN, %ecx
	rep insb
	cld
	mov	$BUF, %rsi
	mov	$LEN, %ecx
	rep outsb
	std
	mov	$BUF + LEN - 1, %rsi
	mov	$LEN, %ecx
	rep outsb
	cld
	xor	%eax, %eax
	out	%al, $KVMRUN_EXIT
	hlt
