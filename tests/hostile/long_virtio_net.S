# Long mode, with --net stream=SOCKET as the first PCI device: a virtio-net
# driver that posts odd buffers and frames, one case chosen by a letter read
# from COM1. It brings the device up (receive queue 0 and transmit queue 1,
# 8 entries each; features VERSION_1, MAC, and MRG_RXBUF for m and M), prints
# "case X", does the case, and exits through 0xf8 with 7. For each receive it
# prints every used element ("used id 00 len 0000004c"), then the first
# buffer's header ("hdr" and 12 bytes) and the frame's first 8 bytes ("data").
# The test's server sends the frames (byte j of a frame of L bytes is
# (L + j) & 0xff) and records those it receives.
#   r  one buffer of 2048 bytes                 n  one buffer of 40 bytes
#   m  MRG_RXBUF, eight buffers of 32 bytes (a 60-byte frame takes three)
#   M  the same (the test sends a frame no eight buffers of 32 hold first)
#   o  a receive buffer past RAM: needs reset, then a reset and a good receive
#   h  a receive buffer of 8 bytes, less than the header: the same
#   t  transmit: a 60-byte frame; a chain of 8 bytes (shorter than the
#      header); a 64 MiB chain (--mem 128); a frame of 8 bytes; a header with
#      NEEDS_CSUM (not negotiated); a 60-byte frame with the header in a
#      descriptor of its own. Prints "tx used len L" for each.
#   T  a transmit chain of 128 MiB + 1 byte (two 64 MiB buffers, the same RAM, and
#      one byte: over VQ_MAX_CHAIN): needs reset, then a reset and a good 60-byte frame
#   B  (a tap) MRG_RXBUF, eight buffers of 16 KiB: room for the largest frame, so
#      the device reads frames straight into them; three frames (60, 20000 and
#      60 bytes) take buffers 0, 1-2 and 3, each with its own num_buffers
	.code64
	.include "kvmrun.inc"
	.include "virtio.inc"

	.set	RXD,	0x200000	# receive queue: descriptors, driver area, device area
	.set	RXA,	0x201000
	.set	RXU,	0x202000
	.set	TXD,	0x210000	# transmit queue
	.set	TXA,	0x211000
	.set	TXU,	0x212000
	.set	RXB,	0x220000	# receive buffer i at RXB + i * 0x1000
	.set	TXB,	0x230000	# a frame to send: the 12-byte header, then the frame
	.set	HUGE,	0x1000000	# 64 MiB of RAM with --mem 128
	.set	RXBIG,	0x300000	# case B: receive buffer i at RXBIG + i * 0x4000
	.set	F_MRG,	1 << 15
	.set	F_MAC,	1 << 5

	.text
	.globl _start
_start:
	mov	$VIO_BAR, %ebp
	call	getc
	mov	%al, which(%rip)
	PUTS	m_case
	mov	which(%rip), %al
	call	putc
	mov	$'\n', %al
	call	putc
	mov	which(%rip), %al
	cmp	$'r', %al
	je	c_rx
	cmp	$'n', %al
	je	c_rx_small
	cmp	$'m', %al
	je	c_mrg
	cmp	$'M', %al
	je	c_mrg
	cmp	$'o', %al
	je	c_rx_out
	cmp	$'h', %al
	je	c_rx_tiny
	cmp	$'t', %al
	je	c_tx
	cmp	$'T', %al
	je	c_tx_huge
	cmp	$'B', %al
	je	c_big
	mov	$13, %al
	out	%al, $KVMRUN_EXIT
	hlt

done:
	mov	$7, %al
	out	%al, $KVMRUN_EXIT
	hlt

c_rx:
	call	net_up
	xor	%eax, %eax
	mov	$2048, %ecx
	call	rx_post
	movw	$0, VIO_NOTIFY(%rbp)
	mov	$1, %eax
	call	rx_show
	jmp	done

c_rx_small:
	call	net_up
	xor	%eax, %eax
	mov	$40, %ecx
	call	rx_post
	movw	$0, VIO_NOTIFY(%rbp)
	mov	$1, %eax
	call	rx_show
	jmp	done

c_mrg:
	orl	$F_MRG, feat_lo(%rip)
	call	net_up
	xor	%r12d, %r12d
1:	mov	%r12d, %eax
	mov	$32, %ecx
	call	rx_post
	inc	%r12d
	cmp	$8, %r12d
	jne	1b
	movw	$0, VIO_NOTIFY(%rbp)
	mov	$3, %eax
	call	rx_show
	jmp	done

c_big:
	orl	$F_MRG, feat_lo(%rip)
	movl	$RXBIG, rx_base(%rip)
	movl	$0x4000, rx_stride(%rip)
	call	net_up
	xor	%r12d, %r12d
1:	mov	%r12d, %eax
	mov	$0x4000, %ecx
	call	rx_post
	inc	%r12d
	cmp	$8, %r12d
	jne	1b
	movw	$0, VIO_NOTIFY(%rbp)
	mov	$1, %eax
	call	rx_show
	mov	$3, %eax
	call	rx_show
	mov	$4, %eax
	call	rx_show
	jmp	done

c_rx_out:
	call	net_up
	DESC	RXD, 0, HUGE, 2048, F_WRITE, 0
	jmp	rx_broken
c_rx_tiny:
	call	net_up
	DESC	RXD, 0, RXB, 8, F_WRITE, 0
rx_broken:
	xor	%eax, %eax
	call	rx_avail
	movw	$0, VIO_NOTIFY(%rbp)
	lea	RXU + 2, %r9
	lea	rx_seen(%rip), %r10
	call	wait_used
	call	show_reset
	PUTS	m_reset
	call	net_up
	xor	%eax, %eax
	mov	$2048, %ecx
	call	rx_post
	movw	$0, VIO_NOTIFY(%rbp)
	mov	$1, %eax
	call	rx_show
	jmp	done

c_tx:
	call	net_up
	call	frame60
	DESC	TXD, 0, TXB, 72, 0, 0
	call	tx_send
	DESC	TXD, 0, TXB, 8, 0, 0
	call	tx_send
	DESC	TXD, 0, HUGE, 0x4000000, 0, 0
	call	tx_send
	DESC	TXD, 0, TXB, 20, 0, 0
	call	tx_send
	movb	$1, TXB				# NEEDS_CSUM
	movw	$14, TXB + 6			# csum_start
	movw	$16, TXB + 8			# csum_offset
	DESC	TXD, 0, TXB, 72, 0, 0
	call	tx_send
	movb	$0, TXB
	DESC	TXD, 0, TXB, 12, F_NEXT, 1
	DESC	TXD, 1, TXB + 12, 60, 0, 0
	call	tx_send
	jmp	done

c_tx_huge:
	call	net_up
	call	frame60
	DESC	TXD, 0, HUGE, 0x4000000, F_NEXT, 1
	DESC	TXD, 1, HUGE, 0x4000000, F_NEXT, 2
	DESC	TXD, 2, TXB, 1, 0, 0
	xor	%eax, %eax
	call	tx_avail
	movw	$1, VIO_NOTIFY + 4(%rbp)
	lea	TXU + 2, %r9
	lea	tx_seen(%rip), %r10
	call	wait_used
	call	show_reset
	PUTS	m_reset
	call	net_up
	DESC	TXD, 0, TXB, 72, 0, 0
	call	tx_send
	jmp	done

# frame60: at TXB a header of zeros and the 60-byte frame the server expects (byte j: 60 + j).
frame60:
	mov	$TXB, %edi
	xor	%eax, %eax
	mov	$12, %ecx
	rep stosb
	mov	$60, %eax
1:	stosb
	inc	%eax
	cmp	$120, %eax
	jne	1b
	ret

# net_up: reset, features VERSION_1 and feat_lo, both queues of 8 entries, DRIVER_OK.
net_up:
	movb	$0, VIO_STATUS(%rbp)
	movb	$1, VIO_STATUS(%rbp)
	movb	$3, VIO_STATUS(%rbp)
	movl	$0, VIO_DFSEL(%rbp)
	mov	VIO_DF(%rbp), %eax
	movl	$1, VIO_DFSEL(%rbp)
	mov	VIO_DF(%rbp), %eax
	test	$1, %al
	jz	refused
	movl	$0, VIO_GFSEL(%rbp)
	mov	feat_lo(%rip), %eax
	mov	%eax, VIO_GF(%rbp)
	movl	$1, VIO_GFSEL(%rbp)
	movl	$1, VIO_GF(%rbp)
	movb	$0xb, VIO_STATUS(%rbp)
	movzbl	VIO_STATUS(%rbp), %eax
	cmp	$0xb, %al
	jne	refused
	xor	%eax, %eax
	mov	$RXD, %edi
	mov	$(3 * 4096 / 8), %ecx
	rep stosq
	mov	$TXD, %edi
	mov	$(3 * 4096 / 8), %ecx
	rep stosq
	movl	$0, rx_aidx(%rip)		# rx_aidx, rx_seen
	movw	$0, rx_shown(%rip)
	movl	$0, tx_aidx(%rip)		# tx_aidx, tx_seen
	movw	$0, VIO_QSEL(%rbp)
	movw	$8, VIO_QSIZE(%rbp)
	movq	$RXD, VIO_QDESC(%rbp)
	movq	$RXA, VIO_QAVAIL(%rbp)
	movq	$RXU, VIO_QUSED(%rbp)
	movw	$1, VIO_QENABLE(%rbp)
	movw	$1, VIO_QSEL(%rbp)
	movw	$8, VIO_QSIZE(%rbp)
	movq	$TXD, VIO_QDESC(%rbp)
	movq	$TXA, VIO_QAVAIL(%rbp)
	movq	$TXU, VIO_QUSED(%rbp)
	movw	$1, VIO_QENABLE(%rbp)
	movb	$0xf, VIO_STATUS(%rbp)
	ret
refused:
	PUTS	m_refused
	mov	$11, %al
	out	%al, $KVMRUN_EXIT
	hlt

# rx_post: receive buffer EAX (0-7) of ECX bytes as descriptor EAX, made available (no notification).
rx_post:
	mov	%eax, %edx
	imul	rx_stride(%rip), %edx
	add	rx_base(%rip), %edx
	mov	%eax, %esi
	shl	$4, %esi
	mov	%rdx, RXD(%rsi)
	mov	%ecx, RXD + 8(%rsi)
	movw	$F_WRITE, RXD + 12(%rsi)
	movw	$0, RXD + 14(%rsi)
	mov	%rdx, %rdi			# fill it with 0xee: what the device wrote shows
	push	%rax
	mov	$0xee, %al
	rep stosb
	pop	%rax
# rx_avail: the receive chain with head AX made available.
rx_avail:
	movzwl	rx_aidx(%rip), %ecx
	mov	%ecx, %edx
	and	$7, %edx
	mov	%ax, RXA + 4(,%rdx,2)
	inc	%ecx
	mov	%cx, rx_aidx(%rip)
	mov	%cx, RXA + 2
	ret

# tx_avail: the transmit chain with head AX made available.
tx_avail:
	movzwl	tx_aidx(%rip), %ecx
	mov	%ecx, %edx
	and	$7, %edx
	mov	%ax, TXA + 4(,%rdx,2)
	inc	%ecx
	mov	%cx, tx_aidx(%rip)
	mov	%cx, TXA + 2
	ret

# tx_send: the chain at descriptor 0 sent, waited for; prints "tx used len L".
tx_send:
	xor	%eax, %eax
	call	tx_avail
	movw	$1, VIO_NOTIFY + 4(%rbp)
	lea	TXU + 2, %r9
	lea	tx_seen(%rip), %r10
	call	wait_used
	test	%eax, %eax
	jnz	show_reset
	PUTS	m_txlen
	movzwl	tx_seen(%rip), %eax
	dec	%eax
	and	$7, %eax
	mov	TXU + 8(,%rax,8), %eax
	call	hex32
	mov	$'\n', %al
	jmp	putc

# wait_used: until the used index at R9 differs from the word at R10 (then
# stored there): EAX 0; 1 when the device wants a reset; 2 (timeout) exits with 9.
wait_used:
	mov	$100000, %r8d
1:	mov	$1000, %ecx
2:	movzwl	(%r9), %eax
	cmp	(%r10), %ax
	jne	3f
	pause
	loop	2b
	testb	$S_NEEDS_RESET, VIO_STATUS(%rbp)
	jnz	4f
	dec	%r8d
	jnz	1b
	PUTS	m_timeout
	mov	$9, %al
	out	%al, $KVMRUN_EXIT
	hlt
3:	mov	%ax, (%r10)
	xor	%eax, %eax
	ret
4:	mov	$1, %eax
	ret

# show_reset: "needs reset: device status XX" when EAX is 1, else "no reset".
show_reset:
	cmp	$1, %eax
	jne	1f
	PUTS	m_needs
	movzbl	VIO_STATUS(%rbp), %eax
	call	hex8
	mov	$'\n', %al
	jmp	putc
1:	PUTS	m_noreset
	ret

# rx_show: wait until EAX buffers in all are used (or more: the device may
# be ahead), print each used element not shown yet up to the EAX-th, the
# first one's header and the frame's first 8 bytes after it.
rx_show:
	mov	%eax, %r12d
	movzwl	rx_shown(%rip), %r13d		# the first one to show
	lea	RXU + 2, %r9
	lea	rx_seen(%rip), %r10
1:	movzwl	rx_seen(%rip), %eax
	sub	%r12w, %ax
	jns	2f				# seen - wanted >= 0, modulo 2^16
	call	wait_used
	test	%eax, %eax
	jz	1b
	jmp	show_reset
2:	mov	%r12w, rx_shown(%rip)
	mov	%r13d, %r14d
3:	cmp	%r12d, %r14d
	je	4f
	PUTS	m_used
	mov	%r14d, %eax
	and	$7, %eax
	mov	RXU + 4(,%rax,8), %eax
	call	hex8
	PUTS	m_len
	mov	%r14d, %eax
	and	$7, %eax
	mov	RXU + 8(,%rax,8), %eax
	call	hex32
	mov	$'\n', %al
	call	putc
	inc	%r14d
	jmp	3b
4:	mov	%r13d, %eax			# the first buffer: its id gives its address
	and	$7, %eax
	mov	RXU + 4(,%rax,8), %eax
	imul	rx_stride(%rip), %eax
	add	rx_base(%rip), %eax
	mov	%eax, %r15d
	PUTS	m_hdr
	mov	%r15, %rsi
	mov	$12, %edi
	call	hexdump
	PUTS	m_data
	lea	12(%r15), %rsi
	mov	$8, %edi
	call	hexdump
	mov	$'\n', %al
	jmp	putc

	.include "print.inc"
	.include "hostile.inc"

m_case:		.asciz "case "
m_refused:	.asciz "the device refused FEATURES_OK\n"
m_timeout:	.asciz "timeout\n"
m_needs:	.asciz "needs reset: device status "
m_noreset:	.asciz "no reset\n"
m_reset:	.asciz "reset\n"
m_txlen:	.asciz "tx used len "
m_used:		.asciz "used id "
m_len:		.asciz " len "
m_hdr:		.asciz "hdr "
m_data:		.asciz " data "
	.balign 4
feat_lo:	.long F_MAC
rx_base:	.long RXB			# receive buffer i at rx_base + i * rx_stride
rx_stride:	.long 0x1000
rx_aidx:	.word 0
rx_seen:	.word 0
rx_shown:	.word 0
tx_aidx:	.word 0
tx_seen:	.word 0
which:		.byte 0
