# Real mode proof: prints CR0, CS, DS, SS and SP as they were at entry.
# Expected at the default entry: "real cr0=00000010 cs=1000 ds=1000 ss=0000 sp=0000"
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	%sp, %bp		# before any push
	mov	$msg_cr0, %si
	call	puts
	mov	%cr0, %eax
	call	hex32
	mov	$msg_cs, %si
	call	puts
	mov	%cs, %ax
	call	hex16
	mov	$msg_ds, %si
	call	puts
	mov	%ds, %ax
	call	hex16
	mov	$msg_ss, %si
	call	puts
	mov	%ss, %ax
	call	hex16
	mov	$msg_sp, %si
	call	puts
	mov	%bp, %ax
	call	hex16
	mov	$'\n', %al
	call	putc
	hlt

	.include "print.inc"
msg_cr0: .asciz "real cr0="
msg_cs:	.asciz " cs="
msg_ds:	.asciz " ds="
msg_ss:	.asciz " ss="
msg_sp:	.asciz " sp="
