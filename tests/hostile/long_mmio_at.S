# Long mode: reads from COM1 an operation ('r' or 'w'), a size ('1', '2', '4'
# or '8') and an 8-byte address (little-endian), prints "before\n" and makes
# that one access. Writes store 0x0123456789abcdef, cut to the size. An
# access inside RAM is followed by HLT (status 0).
	.code64
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	lea	req(%rip), %rdi
	lea	req_end(%rip), %rbp
1:	call	getc
	mov	%al, (%rdi)
	inc	%rdi
	cmp	%rbp, %rdi
	jne	1b
	lea	msg(%rip), %rsi
	call	puts
	mov	addr(%rip), %rbx
	mov	$0x0123456789abcdef, %rax
	mov	size(%rip), %cl
	cmpb	$'w', op(%rip)
	je	write
	cmp	$'1', %cl
	je	1f
	cmp	$'2', %cl
	je	2f
	cmp	$'4', %cl
	je	4f
	mov	(%rbx), %rax
	hlt
1:	mov	(%rbx), %al
	hlt
2:	mov	(%rbx), %ax
	hlt
4:	mov	(%rbx), %eax
	hlt
write:
	cmp	$'1', %cl
	je	1f
	cmp	$'2', %cl
	je	2f
	cmp	$'4', %cl
	je	4f
	mov	%rax, (%rbx)
	hlt
1:	mov	%al, (%rbx)
	hlt
2:	mov	%ax, (%rbx)
	hlt
4:	mov	%eax, (%rbx)
	hlt

	.include "print.inc"
	.include "hostile.inc"
msg:	.asciz "before\n"
req:
op:	.byte 0
size:	.byte 0
addr:	.quad 0
req_end:
