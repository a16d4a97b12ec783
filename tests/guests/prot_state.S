# Protected mode proof: prints CR0, CS, DS, SS and ESP as they were at entry.
	.code32
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	%esp, %ebp
	mov	$msg_cr0, %esi
	call	puts
	mov	%cr0, %eax
	call	hex32
	mov	$msg_cs, %esi
	call	puts
	mov	%cs, %eax
	call	hex16
	mov	$msg_ds, %esi
	call	puts
	mov	%ds, %eax
	call	hex16
	mov	$msg_ss, %esi
	call	puts
	mov	%ss, %eax
	call	hex16
	mov	$msg_esp, %esi
	call	puts
	mov	%ebp, %eax
	call	hex32
	mov	$'\n', %al
	call	putc
	hlt

	.include "print.inc"
msg_cr0: .asciz "protected cr0="
msg_cs:	.asciz " cs="
msg_ds:	.asciz " ds="
msg_ss:	.asciz " ss="
msg_esp: .asciz " esp="
