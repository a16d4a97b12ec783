# Long mode proof: prints CR0, CR4, EFER, CS, and RSP as they were at entry.
	.code64
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	%rsp, %rbp
	lea	msg_cr0(%rip), %rsi
	call	puts
	mov	%cr0, %rax
	call	hex32
	lea	msg_cr4(%rip), %rsi
	call	puts
	mov	%cr4, %rax
	call	hex32
	lea	msg_efer(%rip), %rsi
	call	puts
	mov	$0xc0000080, %ecx
	rdmsr
	call	hex32
	lea	msg_cs(%rip), %rsi
	call	puts
	mov	%cs, %eax
	call	hex16
	lea	msg_rsp(%rip), %rsi
	call	puts
	mov	%rbp, %rax
	shr	$32, %rax
	call	hex32
	mov	%ebp, %eax
	call	hex32
	mov	$'\n', %al
	call	putc
	hlt

	.include "print.inc"
msg_cr0: .asciz "long cr0="
msg_cr4: .asciz " cr4="
msg_efer: .asciz " efer="
msg_cs:	.asciz " cs="
msg_rsp: .asciz " rsp="
