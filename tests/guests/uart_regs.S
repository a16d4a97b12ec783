# The 16550 as a polling driver sees it: prints what each register reads back.
# Expected: "scr=a5 lsr=60 iir=01 fifo-iir=c1 lcr=03 mcr=0b dll=0c dlm=00 ier=05 msr=b0\n"
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$0x3ff, %dx		# scratch
	mov	$0xa5, %al
	out	%al, %dx
	mov	$s_scr, %si
	call	show
	mov	$0x3fd, %dx		# LSR, no input (stdin /dev/null)
	mov	$s_lsr, %si
	call	show
	mov	$0x3fa, %dx		# IIR, FIFOs off
	mov	$s_iir, %si
	call	show
	mov	$0x3fa, %dx		# FCR: enable FIFOs
	mov	$0x01, %al
	out	%al, %dx
	mov	$s_fiir, %si
	call	show
	mov	$0x3fb, %dx		# LCR 8N1 with DLAB, divisor 12 (9600 baud)
	mov	$0x83, %al
	out	%al, %dx
	mov	$0x3f8, %dx
	mov	$0x0c, %al
	out	%al, %dx
	mov	$0x3f9, %dx
	mov	$0x00, %al
	out	%al, %dx
	mov	$0x3fb, %dx
	mov	$0x03, %al
	out	%al, %dx
	mov	$s_lcr, %si
	call	show
	mov	$0x3fc, %dx		# MCR DTR|RTS|OUT2
	mov	$0x0b, %al
	out	%al, %dx
	mov	$s_mcr, %si
	call	show
	mov	$0x3fb, %dx		# DLAB on again: the divisor reads back
	mov	$0x83, %al
	out	%al, %dx
	mov	$0x3f8, %dx		# with DLAB set, COM1+0 is DLL: read both latches
	in	%dx, %al		# now and print them once DLAB is clear again
	mov	%al, dll
	mov	$0x3f9, %dx
	in	%dx, %al
	mov	%al, dlm
	mov	$0x3fb, %dx
	mov	$0x03, %al
	out	%al, %dx
	mov	$0x3ff, %dx		# show reads a port: park each latch in SCR
	mov	dll, %al
	out	%al, %dx
	mov	$s_dll, %si
	call	show
	mov	$0x3ff, %dx
	mov	dlm, %al
	out	%al, %dx
	mov	$s_dlm, %si
	call	show
	mov	$0x3f9, %dx		# IER behind the divisor latch
	mov	$0x05, %al
	out	%al, %dx
	mov	$s_ier, %si
	call	show
	mov	$0x3fe, %dx
	mov	$s_msr, %si
	call	show
	mov	$'\n', %al
	call	putc
	hlt

# show: print the string at SI, then the byte read from port DX in hex.
show:
	in	%dx, %al
	push	%ax
	call	puts
	pop	%ax
	call	hex8
	ret

	.include "print.inc"
s_scr:	.asciz "scr="
s_lsr:	.asciz " lsr="
s_iir:	.asciz " iir="
s_fiir:	.asciz " fifo-iir="
s_lcr:	.asciz " lcr="
s_mcr:	.asciz " mcr="
s_dll:	.asciz " dll="
s_dlm:	.asciz " dlm="
s_ier:	.asciz " ier="
s_msr:	.asciz " msr="
dll:	.byte 0
dlm:	.byte 0
