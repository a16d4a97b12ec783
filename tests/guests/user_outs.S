# User mode: string output from CPL 3. rep outsb of a line to COM1 forwards,
# then with DF set from the last byte of "\ndrawkcab" down (printing
# "backward\n"), then 5000 bytes in one rep outsb (more than one batch of the
# runner's emulation). After each, RSI and RCX must be where the CPU leaves
# them; the last line says so.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	xor	%r9d, %r9d		# count of wrong registers
	mov	$COM1, %dx
	lea	fwd(%rip), %rsi
	mov	$fwd_len, %ecx
	rep outsb
	lea	fwd_end(%rip), %rax
	cmp	%rax, %rsi
	setne	%al
	movzbl	%al, %eax
	add	%eax, %r9d
	add	%rcx, %r9

	std
	lea	back_end - 1(%rip), %rsi
	mov	$back_len, %ecx
	rep outsb
	cld
	lea	back - 1(%rip), %rax
	cmp	%rax, %rsi
	setne	%al
	movzbl	%al, %eax
	add	%eax, %r9d
	add	%rcx, %r9

	lea	big(%rip), %rsi
	mov	$big_len, %ecx
	rep outsb
	lea	big_end(%rip), %rax
	cmp	%rax, %rsi
	setne	%al
	movzbl	%al, %eax
	add	%eax, %r9d
	add	%rcx, %r9

	lea	ok(%rip), %rsi
	test	%r9, %r9
	jz	1f
	lea	bad(%rip), %rsi
1:	call	puts
	xor	%eax, %eax
	out	%al, $KVMRUN_EXIT

fwd:	.ascii	"forward\n"
fwd_end:
	.set	fwd_len, fwd_end - fwd
back:	.ascii	"\ndrawkcab"
back_end:
	.set	back_len, back_end - back
big:	.fill	5000, 1, 'x'
	.ascii	"\n"
big_end:
	.set	big_len, big_end - big
ok:	.asciz	"rsi and rcx as expected\n"
bad:	.asciz	"rsi or rcx wrong\n"
	.include "print.inc"
