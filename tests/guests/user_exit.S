# User mode: the exit ports from CPL 3. The first input byte picks the way:
#   a  out %al,  $0xf8  (imm8,  8-bit)  7          -> status 7
#   b  out %ax,  %dx    (0xf8, 16-bit)  200        -> status 200
#   c  out %eax, $0xf4  (imm8, 32-bit)  0x21       -> status 0x43 (67)
#   d  out %al,  %dx    (0xf4,  8-bit)  0x7f       -> status 0xff (255)
#   e  out %eax, $0xf8  (imm8, 32-bit)  256        -> guest fault
# anything else (or no input) prints "no exit" and halts.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	mov	$COM1_LSR, %dx
1:	in	%dx, %al
	test	$LSR_DR, %al
	jz	1b
	mov	$COM1, %dx
	in	%dx, %al
	cmp	$'a', %al
	je	a
	cmp	$'b', %al
	je	b
	cmp	$'c', %al
	je	c
	cmp	$'d', %al
	je	d
	cmp	$'e', %al
	je	e
	lea	none(%rip), %rsi
	call	puts
	hlt
a:	mov	$7, %al
	out	%al, $KVMRUN_EXIT
b:	mov	$200, %ax
	mov	$KVMRUN_EXIT, %dx
	out	%ax, %dx
c:	mov	$0x21, %eax
	out	%eax, $QEMU_EXIT
d:	mov	$0x7f, %al
	mov	$QEMU_EXIT, %dx
	out	%al, %dx
e:	mov	$256, %eax
bad:	out	%eax, $KVMRUN_EXIT
	lea	none(%rip), %rsi
	call	puts
	hlt
none:	.asciz	"no exit\n"
	.include "print.inc"
