# rep insb of 16 bytes from COM1 into a buffer of 0xff bytes, then prints
# the buffer in hex and LSR after it, and halts. With a command line
# (--append, read through fw_cfg) it first waits for a byte of input, so
# the read starts with what a pipe delivered and goes on past its end.
	.code16
	.include "kvmrun.inc"
	.set	FWCFG_SEL, 0x510
	.set	FWCFG_DATA, 0x511
	.set	FWCFG_CMDLINE_SIZE, 0x14
	.text
	.globl _start
_start:
	mov	$FWCFG_SEL, %dx
	mov	$FWCFG_CMDLINE_SIZE, %ax
	out	%ax, %dx
	mov	$FWCFG_DATA, %dx
	in	%dx, %eax		# with its NUL: 1 when there is no command line
	cmp	$1, %eax
	jbe	2f
	mov	$COM1_LSR, %dx
1:	in	%dx, %al
	test	$LSR_DR, %al
	jz	1b
2:	mov	$buf, %di		# ES:DI, ES = CS
	mov	$16, %cx
	mov	$COM1, %dx
	rep insb
	mov	$COM1_LSR, %dx
	in	%dx, %al
	mov	%al, lsr
	mov	$buf, %si
	mov	$16, %edi
	call	hexdump
	mov	$s_lsr, %si
	call	puts
	mov	lsr, %al
	call	hex8
	mov	$'\n', %al
	call	putc
	hlt

	.include "print.inc"
	.include "hostile.inc"
s_lsr:	.asciz " lsr "
lsr:	.byte 0
buf:	.fill 16, 1, 0xff
