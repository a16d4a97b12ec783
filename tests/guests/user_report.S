# User mode: port 0xfc is where the runner's exception stubs report, at CPL 0.
# The guest writing there itself (imm8 and DX, 8 and 32 bits, rep outsb) is
# ignored: it goes on, prints a line and exits with status 0 through 0xf8.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	mov	$14, %al
	out	%al, $0xfc
	mov	$0xfc, %dx
	mov	$13, %eax
	out	%eax, %dx
	lea	msg(%rip), %rsi
	mov	$3, %ecx
	rep outsb
	lea	msg(%rip), %rsi
	call	puts
	xor	%eax, %eax
	out	%al, $KVMRUN_EXIT
msg:	.asciz	"still running after writing to port 0xfc\n"
	.include "print.inc"
