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
	call	hex64
	mov	$'\n', %al
	mov	$COM1, %dx
	out	%al, %dx
	hlt

puts:
	mov	$COM1, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	ret

hex64:
	mov	%rax, %rbx
	mov	$16, %ecx
	jmp	hexloop
hex32:
	mov	%rax, %rbx
	shl	$32, %rbx
	mov	$8, %ecx
	jmp	hexloop
hex16:
	mov	%rax, %rbx
	shl	$48, %rbx
	mov	$4, %ecx
hexloop:
	mov	$COM1, %dx
1:	rol	$4, %rbx
	mov	%bl, %al
	and	$0xf, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	2f
	add	$('a' - '9' - 1), %al
2:	out	%al, %dx
	loop	1b
	ret

msg_cr0: .asciz "long cr0="
msg_cr4: .asciz " cr4="
msg_efer: .asciz " efer="
msg_cs:	.asciz " cs="
msg_rsp: .asciz " rsp="
