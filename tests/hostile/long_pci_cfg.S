# Long mode, with PCI devices: garbage through configuration mechanism #1,
# chosen by a letter read from COM1.
#   s  every register of every slot (0-31) at every byte and width of
#      CONFIG_DATA: read, all ones written, read, the first value written
#      back. For each slot that answers, "SS VVVVDDDD cmd C bar B" where C and
#      B are what dwords 0x04 and 0x10 read after all ones was written there.
#      Then CONFIG_ADDRESS at narrow widths, function 1, bus 1 and the enable
#      bit clear (all read as ones); then slot 1's BAR 0 moved to 0xd0000000,
#      the device used there (reset, set up, read sector 0), moved back and
#      used again. Exits through 0xf8 with 7.
#   d  slot 1's memory decoding turned off and on again (num_queues read),
#      then off, and num_queues read: a guest fault outside RAM.
#   b  slot 1's BAR 0 set to 0 (decoding stays on): num_queues read at the
#      old address, a guest fault.
#   o  slot 1's BAR 0 moved onto slot 3's (0xc0008000): the capacity read
#      there ("capacity ..."), a 2-byte notification of queue 0 written there,
#      the BAR moved back; exits through 0xf8 with 7.
#   x  an 8-byte read straddling the end of slot 3's BAR, the last one
#      (0xc000bffc): KVM splits it at the page; the half past it is a guest fault.
	.code64
	.include "kvmrun.inc"
	.include "virtio.inc"
	.set	CFG_ADDR, 0xcf8
	.set	CFG_DATA, 0xcfc
	.set	SLOT1, 0x80000800
	.text
	.globl _start
_start:
	mov	$VIO_BAR, %ebp
	call	getc
	cmp	$'s', %al
	je	sweep
	cmp	$'d', %al
	je	decode
	cmp	$'b', %al
	je	bar0
	cmp	$'o', %al
	je	overlap
	cmp	$'x', %al
	je	straddle
	mov	$13, %al
	out	%al, $KVMRUN_EXIT
	hlt

sweep:
	xor	%r12d, %r12d			# slot
1:	mov	%r12d, %r13d
	shl	$11, %r13d
	or	$0x80000000, %r13d		# CONFIG_ADDRESS of the slot's register 0
	xor	%r14d, %r14d			# register
2:	xor	%r15d, %r15d			# byte of CONFIG_DATA
3:	lea	(%r13,%r14), %eax
	mov	$CFG_ADDR, %dx
	out	%eax, %dx
	lea	CFG_DATA(%r15), %edx
	in	%dx, %al			# width 1
	mov	%eax, %r8d
	mov	$0xff, %al
	out	%al, %dx
	in	%dx, %al
	mov	%r8d, %eax
	out	%al, %dx
	in	%dx, %ax			# width 2
	mov	%eax, %r8d
	mov	$0xffff, %ax
	out	%ax, %dx
	in	%dx, %ax
	mov	%r8d, %eax
	out	%ax, %dx
	in	%dx, %eax			# width 4
	mov	%eax, %r8d
	mov	$-1, %eax
	out	%eax, %dx
	in	%dx, %eax
	mov	%r8d, %eax
	out	%eax, %dx
	inc	%r15d
	cmp	$4, %r15d
	jne	3b
	add	$4, %r14d
	cmp	$0x100, %r14d
	jne	2b
	# The slot's IDs and its command register and BAR after all ones.
	mov	%r13d, %eax
	call	cfg_read
	cmp	$-1, %eax
	je	4f
	mov	%eax, %r11d
	mov	%r12d, %eax
	call	hex8
	mov	$' ', %al
	call	putc
	mov	%r11d, %eax
	rol	$16, %eax			# device:vendor as VVVVDDDD
	call	hex32
	PUTS	m_cmd
	lea	4(%r13), %eax
	call	ones
	call	hex32
	PUTS	m_bar
	lea	0x10(%r13), %eax
	call	ones
	call	hex32
	mov	$'\n', %al
	call	putc
4:	inc	%r12d
	cmp	$32, %r12d
	jne	1b

	# CONFIG_ADDRESS itself: narrow accesses reach no register.
	mov	$SLOT1, %eax
	mov	$CFG_ADDR, %dx
	out	%eax, %dx
	mov	$0xff, %al
	out	%al, %dx			# ignored
	mov	$0xffff, %ax
	mov	$CFG_ADDR + 2, %dx
	out	%ax, %dx			# ignored
	PUTS	m_narrow
	mov	$CFG_ADDR, %dx
	in	%dx, %ax
	call	hex16
	mov	$' ', %al
	call	putc
	mov	$CFG_ADDR + 1, %dx
	in	%dx, %al
	call	hex8
	mov	$' ', %al
	call	putc
	mov	$CFG_ADDR, %dx
	in	%dx, %eax
	call	hex32
	PUTS	m_absent
	mov	$SLOT1 | 0x100, %eax		# function 1
	call	cfg_read
	call	hex32
	mov	$' ', %al
	call	putc
	mov	$SLOT1 | 0x10000, %eax		# bus 1
	call	cfg_read
	call	hex32
	mov	$' ', %al
	call	putc
	mov	$SLOT1 & 0x7fffffff, %eax	# enable bit clear
	call	cfg_read
	call	hex32
	mov	$'\n', %al
	call	putc

	# Slot 1's BAR to 0xd0000000: the device answers there, notifications included.
	mov	$SLOT1 | 0x10, %eax
	mov	$0xd0000000, %ebx
	call	cfg_write
	mov	$0xd0000000, %ebp
	PUTS	m_moved
	call	vio_recover
	mov	$SLOT1 | 0x10, %eax
	mov	$VIO_BAR, %ebx
	call	cfg_write
	mov	$VIO_BAR, %ebp
	PUTS	m_back
	call	vio_recover
	mov	$7, %al
	out	%al, $KVMRUN_EXIT
	hlt

decode:
	mov	$SLOT1 | 4, %eax
	call	cfg_read
	mov	%eax, %r12d			# status and command as they were
	mov	$SLOT1 | 4, %eax
	xor	%ebx, %ebx			# memory decoding off (status is read-only)
	call	cfg_write
	mov	$SLOT1 | 4, %eax
	mov	%r12d, %ebx
	call	cfg_write			# and on
	PUTS	m_numq
	movzwl	VIO_NUMQ(%rbp), %eax
	call	hex16
	mov	$'\n', %al
	call	putc
	mov	$SLOT1 | 4, %eax
	xor	%ebx, %ebx
	call	cfg_write
	PUTS	m_off
	movzwl	VIO_NUMQ(%rbp), %eax		# a guest fault
	mov	$7, %al
	out	%al, $KVMRUN_EXIT
	hlt

bar0:
	mov	$SLOT1 | 0x10, %eax
	xor	%ebx, %ebx
	call	cfg_write
	mov	$SLOT1 | 0x10, %eax
	call	cfg_read
	PUTS	m_bar0
	call	hex32
	mov	$'\n', %al
	call	putc
	movzwl	VIO_NUMQ(%rbp), %eax		# a guest fault
	mov	$7, %al
	out	%al, $KVMRUN_EXIT
	hlt

overlap:
	mov	$SLOT1 | 0x10, %eax
	mov	$VIO_BAR + 0x8000, %ebx
	call	cfg_write
	mov	$VIO_BAR + 0x8000, %ebp
	PUTS	m_capacity
	mov	VIO_DEVCFG(%rbp), %rax
	call	hex32
	mov	$'\n', %al
	call	putc
	movw	$0, VIO_NOTIFY(%rbp)
	mov	$SLOT1 | 0x10, %eax
	mov	$VIO_BAR, %ebx
	call	cfg_write
	mov	$7, %al
	out	%al, $KVMRUN_EXIT
	hlt

straddle:
	PUTS	m_straddle
	mov	0xbffc(%rbp), %rax		# a guest fault
	mov	$7, %al
	out	%al, $KVMRUN_EXIT
	hlt

# cfg_read: EAX = the dword at CONFIG_ADDRESS EAX. Clobbers EDX.
cfg_read:
	mov	$CFG_ADDR, %dx
	out	%eax, %dx
	mov	$CFG_DATA, %dx
	in	%dx, %eax
	ret

# cfg_write: EBX to the dword at CONFIG_ADDRESS EAX. Clobbers EDX.
cfg_write:
	mov	$CFG_ADDR, %dx
	out	%eax, %dx
	mov	$CFG_DATA, %dx
	mov	%ebx, %eax
	out	%eax, %dx
	ret

# ones: EAX = the dword at CONFIG_ADDRESS EAX after all ones was written
# there; the value before is written back. Clobbers EDX, R8.
ones:
	call	cfg_read
	mov	%eax, %r8d
	mov	$-1, %eax
	out	%eax, %dx
	in	%dx, %eax
	xchg	%eax, %r8d
	out	%eax, %dx
	mov	%r8d, %eax
	ret

	.include "print.inc"
	.include "hostile.inc"
	VIRTIO_ROUTINES
m_cmd:	.asciz " cmd "
m_bar:	.asciz " bar "
m_narrow: .asciz "config address narrow: "
m_absent: .asciz "\nfunction 1, bus 1, disabled: "
m_moved: .asciz "BAR0 at 0xd0000000\n"
m_back:	.asciz "BAR0 back at 0xc0000000\n"
m_numq:	.asciz "decoding off and on: num_queues "
m_off:	.asciz "decoding off\n"
m_bar0:	.asciz "BAR0 "
m_capacity: .asciz "capacity at 0xc000a000: "
m_straddle: .asciz "straddling\n"
