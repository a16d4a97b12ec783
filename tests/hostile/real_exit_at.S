# Exit ports, any port and size: reads from COM1 a port (2 bytes,
# little-endian), a size ('1', '2' or '4') and a value (4 bytes), prints
# "bye\n" and writes the value to the port with one access of that size. If
# the run goes on, prints "survived\n" and halts (status 0).
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$req, %di
1:	call	getc
	mov	%al, (%di)
	inc	%di
	cmp	$req_end, %di
	jne	1b
	mov	$bye, %si
	call	puts
	mov	port, %dx
	mov	val, %eax
	cmpb	$'1', size
	je	1f
	cmpb	$'2', size
	je	2f
	out	%eax, %dx
	jmp	3f
1:	out	%al, %dx
	jmp	3f
2:	out	%ax, %dx
3:	mov	$survived, %si
	call	puts
	hlt

	.include "print.inc"
	.include "hostile.inc"
bye:	.asciz "bye\n"
survived: .asciz "survived\n"
req:
port:	.word 0
size:	.byte 0
val:	.long 0
req_end:
