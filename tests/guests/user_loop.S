# User mode: compute at CPL 3. Adds 3 to RAX ten million times and prints the
# sum in hex (30000000 = 0x01c9c380), then exits 0.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	xor	%eax, %eax
	mov	$10000000, %ecx
1:	add	$3, %rax
	dec	%rcx
	jnz	1b
	mov	%rax, %r8
	lea	msg(%rip), %rsi
	call	puts
	mov	%r8d, %eax
	call	hex32
	mov	$'\n', %al
	call	putc
	xor	%eax, %eax
	out	%al, $KVMRUN_EXIT
msg:	.asciz	"sum=0x"
	.include "print.inc"
