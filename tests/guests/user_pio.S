# User mode: port I/O from CPL 3 in every width, with DX and with an imm8
# port. Each line shows one round trip:
#   8-bit  DX: COM1's scratch register 0x3ff
#   16-bit DX: LCR and MCR (0x3fb, 0x3fc) as one access
#   32-bit DX: MCR, LSR, MSR, SCR (0x3fc-0x3ff) written and read as one access
#   fw_cfg: key 0 selected through 0x510 (16-bit), its 4 bytes from 0x511 as
#           one 32-bit read, then byte by byte
#   imm8 in from port 0x80 (no device: all ones) into AL, AX and EAX, over
#   RAX = 0x1122334455667788: AL and AX merge, EAX zero-extends into RAX.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	mov	$0x3ff, %dx
	mov	$0x5a, %al
	out	%al, %dx
	mov	$0, %al
	in	%dx, %al
	mov	%eax, %r8d
	lea	m_scr(%rip), %rsi
	call	puts
	mov	%r8d, %eax
	call	hex8

	mov	$0x3fb, %dx
	mov	$0x0b03, %ax
	out	%ax, %dx
	xor	%eax, %eax
	in	%dx, %ax
	mov	%eax, %r8d
	mov	$0x3fb, %dx		# LCR back to 0 (8 bits, no DLAB) for the prints
	xor	%eax, %eax
	out	%ax, %dx
	lea	m_lcr(%rip), %rsi
	call	puts
	mov	%r8d, %eax
	call	hex16

	mov	$0x3fc, %dx
	mov	$0xa5ffff03, %eax	# MCR 03, LSR and MSR read-only, SCR a5
	out	%eax, %dx
	xor	%eax, %eax
	in	%dx, %eax
	mov	%eax, %r8d
	mov	$0x3fc, %dx
	xor	%eax, %eax
	out	%al, %dx
	lea	m_all(%rip), %rsi
	call	puts
	mov	%r8d, %eax
	call	hex32

	mov	$0x510, %dx
	xor	%eax, %eax
	out	%ax, %dx
	inc	%dx
	in	%dx, %eax
	mov	%eax, %r8d
	lea	m_fw(%rip), %rsi
	call	puts
	mov	%r8d, %eax
	call	hex32
	mov	$0x510, %dx
	xor	%eax, %eax
	out	%ax, %dx
	lea	m_sig(%rip), %rsi
	call	puts
	mov	$4, %r9d
1:	mov	$0x511, %dx
	in	%dx, %al
	call	putc
	dec	%r9d
	jnz	1b

	mov	$0x1122334455667788, %rax
	in	$0x80, %al
	mov	%rax, %r8
	lea	m_al(%rip), %rsi
	call	hex64
	mov	$0x1122334455667788, %rax
	in	$0x80, %ax
	mov	%rax, %r8
	lea	m_ax(%rip), %rsi
	call	hex64
	mov	$0x1122334455667788, %rax
	in	$0x80, %eax
	mov	%rax, %r8
	lea	m_eax(%rip), %rsi
	call	hex64

	mov	$'\n', %al
	call	putc
	xor	%eax, %eax
	out	%al, $KVMRUN_EXIT

# hex64: the string at RSI, then R8 as 16 hex digits.
hex64:
	call	puts
	mov	%r8, %rax
	shr	$32, %rax
	call	hex32
	mov	%r8d, %eax
	jmp	hex32

m_scr:	.asciz	"scr=0x"
m_lcr:	.asciz	"\nlcr+mcr=0x"
m_all:	.asciz	"\nmcr..scr=0x"
m_fw:	.asciz	"\nfw_cfg 0x511 32-bit=0x"
m_sig:	.asciz	"\nfw_cfg signature="
m_al:	.asciz	"\nin $0x80,%al  rax=0x"
m_ax:	.asciz	"\nin $0x80,%ax  rax=0x"
m_eax:	.asciz	"\nin $0x80,%eax rax=0x"
	.include "print.inc"
