# Long mode, with --device virtio-balloon (the only PCI device: BAR 0 at
# 0xc0000000): a balloon driver with no Linux, polling the used rings, one
# case chosen by a letter read from COM1; exits through 0xf8 with 7. Each
# request prints "used LLLLLLLL" (the used length) or "needs reset: device
# status XX". Queues: inflate 0, deflate 1, stats 2, reporting 3, 8 entries
# each, rings at 0x200000 + queue * 0x4000.
#   p  (16 MiB) pages 0x400000-0x40ffff written, then inflated with the top
#      page of RAM (PFN 0xfff), PFN 0x1000 (just past RAM) and 0xffffffff:
#      the written pages read back as zeros; PFNs 0x400-0x403 deflated;
#      actual written (13 pages) and the configuration read back; a stats
#      buffer posted (kept by the device); a free page report of 2 MiB at
#      0x800000 (written first: reads back as zeros) and 6 KiB at 0xa00800
#      (one whole page inside it)
#   h  (--mem 4G) PFNs 0xbffff, 0x100000 and 0x13ffff (RAM's edges around the
#      hole), 0xc0000, 0xfffff (in the hole) and 0x140000 (past the top); then
#      a report of 4 MiB at 0xbfe00000, across the hole (needs reset); after a
#      reset a report of the top 2 MiB of high RAM
#   b  an inflate request of 6 bytes; a deflate request of 65537 PFNs;
#      without REPORTING negotiated, buffers on queue 3: each needs a reset
#   g  (--mem 256M) a report of 32 blocks of 4 MiB through an indirect table
#      (128 MiB: Linux's largest); then one of 33 (needs reset)
	.code64
	.include "kvmrun.inc"
	.include "virtio.inc"
	.text
	.globl _start

	.set	BQ,	0x200000	# queue q: descriptors at BQ + q * 0x4000, driver area + 0x1000, device area + 0x2000
	.set	QSZ,	8
	.set	AIDX,	0x21f000	# the driver's avail index per queue (4 words)
	.set	USEEN,	0x21f010	# the used index last seen per queue
	.set	PFNS,	0x210000	# PFN arrays
	.set	STATS,	0x214000
	.set	IND,	0x218000	# an indirect table
	.set	FEAT_ALL, (1 << 28) | (1 << 1) | (1 << 2) | (1 << 5)	# INDIRECT_DESC, STATS_VQ, DEFLATE_ON_OOM, REPORTING

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
	cmp	$'p', %al
	je	c_pages
	cmp	$'h', %al
	je	c_hole
	cmp	$'b', %al
	je	c_bad
	cmp	$'g', %al
	je	c_big
	mov	$13, %al
	out	%al, $KVMRUN_EXIT
	hlt

done:
	mov	$7, %al
	out	%al, $KVMRUN_EXIT
	hlt

# QDESC Q, IDX, ADDR, LEN, FLAGS, NEXT: a descriptor of queue Q.
.macro QDESC q, idx, addr, len, flags, next
	DESC	BQ+\q*0x4000, \idx, \addr, \len, \flags, \next
.endm

# REQ Q: post descriptor 0 of queue Q, wait, print.
.macro REQ q
	mov	$\q, %r12d
	xor	%eax, %eax
	call	bal_post
	call	bal_wait
.endm

c_pages:
	mov	$FEAT_ALL, %eax
	call	bal_up
	mov	$0x400000, %edi			# 16 pages written: resident on the host
	mov	$0xaa, %al
	mov	$0x10000, %ecx
	rep stosb
	mov	$PFNS, %edi
	mov	$0x400, %eax
1:	stosl
	inc	%eax
	cmp	$0x410, %eax
	jne	1b
	movl	$0xfff, PFNS + 64
	movl	$0x1000, PFNS + 68
	movl	$0xffffffff, PFNS + 72
	QDESC	0, 0, PFNS, 76, 0, 0
	REQ	0
	PUTS	m_page
	mov	$0x400000, %esi
	mov	$8, %edi
	call	hexdump
	mov	$0x40fff8, %esi
	mov	$8, %edi
	call	hexdump
	mov	$'\n', %al
	call	putc
	QDESC	1, 0, PFNS, 16, 0, 0
	REQ	1
	movl	$13, VIO_DEVCFG + 4(%rbp)	# actual
	PUTS	m_config
	lea	VIO_DEVCFG(%rbp), %rsi
	mov	$8, %edi
	call	hexdump
	mov	$'\n', %al
	call	putc
	movw	$4, STATS			# MEMFREE
	movq	$0x1000000, STATS + 2
	movw	$5, STATS + 10			# MEMTOT
	movq	$0x1000000, STATS + 12
	movw	$200, STATS + 20		# no such tag
	movq	$1, STATS + 22
	QDESC	2, 0, STATS, 30, 0, 0
	mov	$2, %r12d
	xor	%eax, %eax
	call	bal_post
	mov	$0x800000, %edi
	mov	$0x55, %al
	mov	$0x200000, %ecx
	rep stosb
	QDESC	3, 0, 0x800000, 0x200000, F_WRITE|F_NEXT, 1
	QDESC	3, 1, 0xa00800, 0x1800, F_WRITE, 0
	REQ	3
	PUTS	m_page
	mov	$0x800000, %esi
	mov	$8, %edi
	call	hexdump
	mov	$0x9ffff8, %esi
	mov	$8, %edi
	call	hexdump
	mov	$'\n', %al
	call	putc
	jmp	done

c_hole:
	mov	$FEAT_ALL, %eax
	call	bal_up
	movl	$0xbffff, PFNS
	movl	$0xc0000, PFNS + 4
	movl	$0xfffff, PFNS + 8
	movl	$0x100000, PFNS + 12
	movl	$0x13ffff, PFNS + 16
	movl	$0x140000, PFNS + 20
	QDESC	0, 0, PFNS, 24, 0, 0
	REQ	0
	QDESC	3, 0, 0xbfe00000, 0x400000, F_WRITE, 0
	REQ	3
	mov	$FEAT_ALL, %eax
	call	bal_up
	QDESC	3, 0, 0x13fe00000, 0x200000, F_WRITE, 0
	REQ	3
	jmp	done

c_bad:
	mov	$FEAT_ALL, %eax
	call	bal_up
	QDESC	0, 0, PFNS, 6, 0, 0
	REQ	0
	mov	$FEAT_ALL, %eax
	call	bal_up
	QDESC	1, 0, 0x400000, 65537*4, 0, 0
	REQ	1
	mov	$((1 << 28) | (1 << 1)), %eax	# STATS_VQ only: no queue 3
	call	bal_up
	QDESC	3, 0, 0x800000, 0x1000, F_WRITE, 0
	REQ	3
	mov	$FEAT_ALL, %eax
	call	bal_up
	QDESC	0, 0, PFNS, 0, 0, 0		# an empty request: fine
	REQ	0
	jmp	done

c_big:
	mov	$FEAT_ALL, %eax
	call	bal_up
	mov	$32, %ecx
	call	big_table
	QDESC	3, 0, IND, 32*16, F_INDIRECT, 0
	REQ	3
	mov	$33, %ecx
	call	big_table
	QDESC	3, 0, IND, 33*16, F_INDIRECT, 0
	REQ	3
	jmp	done

# big_table: ECX writable 4 MiB blocks from 16 MiB up, chained, at IND.
big_table:
	mov	$IND, %edi
	mov	$0x1000000, %rax
	xor	%edx, %edx
1:	mov	%rax, (%rdi)
	movl	$0x400000, 8(%rdi)
	inc	%edx
	movw	$(F_WRITE | F_NEXT), 12(%rdi)
	mov	%dx, 14(%rdi)
	add	$0x400000, %rax
	add	$16, %rdi
	loop	1b
	movw	$F_WRITE, -4(%rdi)		# the last: no NEXT
	ret

# bal_up: reset, features VERSION_1 and EAX, queues 0-3 (8 entries each,
# rings zeroed), DRIVER_OK. Exits with 11 if FEATURES_OK is refused.
bal_up:
	mov	%eax, %r9d
	movb	$0, VIO_STATUS(%rbp)
	movb	$1, VIO_STATUS(%rbp)
	movb	$3, VIO_STATUS(%rbp)
	movl	$0, VIO_GFSEL(%rbp)
	mov	%r9d, VIO_GF(%rbp)
	movl	$1, VIO_GFSEL(%rbp)
	movl	$1, VIO_GF(%rbp)
	movb	$0xb, VIO_STATUS(%rbp)
	movzbl	VIO_STATUS(%rbp), %eax
	cmp	$0xb, %al
	jne	vio_refused
	mov	$BQ, %edi
	xor	%eax, %eax
	mov	$(4 * 0x4000 / 8), %ecx
	rep stosq
	movq	$0, AIDX
	movq	$0, USEEN
	xor	%ebx, %ebx
1:	mov	%bx, VIO_QSEL(%rbp)
	movw	$QSZ, VIO_QSIZE(%rbp)
	mov	%ebx, %eax
	shl	$14, %eax
	add	$BQ, %eax
	mov	%rax, VIO_QDESC(%rbp)
	add	$0x1000, %eax
	mov	%rax, VIO_QAVAIL(%rbp)
	add	$0x1000, %eax
	mov	%rax, VIO_QUSED(%rbp)
	movw	$1, VIO_QENABLE(%rbp)
	inc	%ebx
	cmp	$4, %ebx
	jne	1b
	movb	$0xf, VIO_STATUS(%rbp)
	ret

# bal_post: make the chain with head AX available on queue R12 and notify it.
bal_post:
	mov	%r12d, %edx
	shl	$14, %edx
	add	$(BQ + 0x1000), %edx
	movzwl	AIDX(,%r12,2), %ecx
	mov	%ecx, %esi
	and	$(QSZ - 1), %esi
	mov	%ax, 4(%rdx,%rsi,2)
	inc	%ecx
	mov	%cx, AIDX(,%r12,2)
	mov	%cx, 2(%rdx)
	mov	%r12w, VIO_NOTIFY(%rbp,%r12,4)
	ret

# bal_wait: wait on queue R12's used ring; print "used LEN" or the reset.
bal_wait:
	mov	%r12d, %r9d
	shl	$14, %r9d
	add	$(BQ + 0x2000), %r9d
	mov	$100000, %r8d
1:	mov	$1000, %ecx
2:	movzwl	2(%r9), %eax
	cmp	USEEN(,%r12,2), %ax
	jne	3f
	pause
	loop	2b
	testb	$S_NEEDS_RESET, VIO_STATUS(%rbp)
	jnz	4f
	dec	%r8d
	jnz	1b
	jmp	vio_timeout
3:	mov	%ax, USEEN(,%r12,2)
	dec	%eax
	and	$(QSZ - 1), %eax
	mov	8(%r9,%rax,8), %r10d
	PUTS	m_used
	mov	%r10d, %eax
	call	hex32
	mov	$'\n', %al
	jmp	putc
4:	PUTS	vio_m_reset
	jmp	vio_print_status

m_case:		.asciz "case "
m_used:		.asciz "used "
m_page:		.asciz "pages "
m_config:	.asciz "config "
which:		.byte 0

	VIRTIO_ROUTINES
	.include "print.inc"
	.include "hostile.inc"
