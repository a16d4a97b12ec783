# Protected mode, flat 4 GiB segments: reads from COM1 an operation ('r' or
# 'w'), a size ('1', '2' or '4') and a 4-byte address (little-endian), prints
# "before\n" and makes that one access. Writes store 0x89abcdef, cut to the
# size. An access inside RAM is followed by HLT (status 0).
	.code32
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$req, %edi
1:	call	getc
	mov	%al, (%edi)
	inc	%edi
	cmp	$req + 6, %edi
	jne	1b
	mov	$msg, %esi
	call	puts
	mov	addr, %ebx
	mov	$0x89abcdef, %eax
	cmpb	$'w', op
	je	write
	cmpb	$'1', size
	je	1f
	cmpb	$'2', size
	je	2f
	mov	(%ebx), %eax
	hlt
1:	mov	(%ebx), %al
	hlt
2:	mov	(%ebx), %ax
	hlt
write:
	cmpb	$'1', size
	je	1f
	cmpb	$'2', size
	je	2f
	mov	%eax, (%ebx)
	hlt
1:	mov	%al, (%ebx)
	hlt
2:	mov	%ax, (%ebx)
	hlt

	.include "print.inc"
	.include "hostile.inc"
msg:	.asciz "before\n"
req:
op:	.byte 0
size:	.byte 0
addr:	.long 0
