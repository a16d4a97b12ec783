# Exit tester: reads from COM1 a port letter ('4' for 0xf4, '8' for 0xf8),
# a size ('1', '2' or '4') and four value bytes (little-endian), prints "bye\n"
# and writes the value to the port with an access of that size.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	call	getc
	mov	$QEMU_EXIT, %di
	cmp	$'4', %al
	je	1f
	mov	$KVMRUN_EXIT, %di
1:	call	getc
	mov	%al, %cl		# size letter
	xor	%bx, %bx
2:	call	getc			# four value bytes into val
	mov	%al, val(%bx)
	inc	%bx
	cmp	$4, %bx
	jne	2b
	mov	$COM1, %dx
	mov	$bye, %si
3:	lodsb
	test	%al, %al
	jz	4f
	out	%al, %dx
	jmp	3b
4:	mov	%di, %dx
	mov	val, %eax
	cmp	$'1', %cl
	je	size1
	cmp	$'2', %cl
	je	size2
	out	%eax, %dx
	hlt
size1:	out	%al, %dx
	hlt
size2:	out	%ax, %dx
	hlt

getc:					# AL = next input byte, waiting for it
	mov	$COM1_LSR, %dx
1:	in	%dx, %al
	test	$LSR_DR, %al
	jz	1b
	mov	$COM1, %dx
	in	%dx, %al
	ret

bye:	.asciz "bye\n"
val:	.long 0
