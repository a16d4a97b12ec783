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

hex32:
	mov	%eax, %ebx
	mov	$8, %ecx
	jmp	hexloop
hex16:
	mov	%eax, %ebx
	shl	$16, %ebx
	mov	$4, %ecx
hexloop:
	mov	$COM1, %dx
1:	rol	$4, %ebx
	mov	%bl, %al
	and	$0xf, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	2f
	add	$('a' - '9' - 1), %al
2:	out	%al, %dx
	loop	1b
	ret

msg_cr0: .asciz "protected cr0="
msg_cs:	.asciz " cs="
msg_ds:	.asciz " ds="
msg_ss:	.asciz " ss="
msg_esp: .asciz " esp="
