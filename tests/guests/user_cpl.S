# User mode: prove the guest runs at CPL 3. The first line is the CPL (CS's low
# two bits); the second shows CS, SS, DS, and RFLAGS' IOPL and IF as the guest
# reads them, which depend on the host: hardware KVM shows the runner's 002b,
# 0023, 0023 and IOPL 3, while PVM (kvm_pvm) substitutes its own user selectors
# and flags. Position-independent, so it also runs loaded at another --entry.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	lea	cpl_msg(%rip), %rsi
	call	puts
	mov	%cs, %eax
	and	$3, %al
	add	$'0', %al
	call	putc
	lea	cs_msg(%rip), %rsi
	call	puts
	mov	%cs, %eax
	call	hex16
	lea	ss_msg(%rip), %rsi
	call	puts
	mov	%ss, %eax
	call	hex16
	lea	ds_msg(%rip), %rsi
	call	puts
	mov	%ds, %eax
	call	hex16
	lea	iopl_msg(%rip), %rsi
	call	puts
	pushfq
	pop	%r8
	mov	%r8, %rax
	shr	$12, %rax
	and	$3, %al
	add	$'0', %al
	call	putc
	lea	if_msg(%rip), %rsi
	call	puts
	mov	%r8, %rax
	shr	$9, %rax
	and	$1, %al
	add	$'0', %al
	call	putc
	mov	$'\n', %al
	call	putc
	xor	%eax, %eax
	out	%al, $KVMRUN_EXIT
cpl_msg: .asciz	"cpl="
cs_msg:	.asciz	"\ncs="
ss_msg:	.asciz	" ss="
ds_msg:	.asciz	" ds="
iopl_msg: .asciz " iopl="
if_msg:	.asciz	" if="
	.include "print.inc"
