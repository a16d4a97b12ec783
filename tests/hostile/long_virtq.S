# Long mode, with --disk: a virtio-blk driver that breaks the virtqueue rules
# one way, chosen by a letter read from COM1, then shows that the device
# recovers. It brings the device up (queue 0 of 8 entries, INDIRECT_DESC),
# prints "case X", breaks the rule, waits for the used ring or
# DEVICE_NEEDS_RESET and prints which ("needs reset: device status 4f"), then
# resets the device, sets it up again and reads sector 0 ("reset", "used: data
# ..."), and exits through 0xf8 with 7. The letters:
#   l  a chain whose next points back          L  the same inside an indirect table
#   n  a next index beyond the queue (8)       N  beyond an indirect table (2)
#   h  a head index beyond the queue (0xffff)  a  avail idx 9 ahead in a queue of 8
#   o  a buffer just past RAM (0x1000000)      e  a buffer spanning the end of RAM
#   w  a buffer whose address + len wraps 2^64 E  a buffer ending exactly at the top of RAM (valid)
#   H  a buffer spanning the 32-bit hole (--mem 4G), after a valid one in high RAM
#   i  an indirect descriptor with NEXT set    j  an indirect table inside an indirect table
#   I  an indirect table, INDIRECT_DESC not negotiated
#   m  an indirect table of 20 bytes           t  259 buffers: a header, then an indirect table of 258
#   T  258 buffers through one indirect table (valid: 256 sectors read)
#   r  a readable buffer after a writable one  z  a request with no header
#   q  queue_enable with the descriptor ring past RAM   Q  ... misaligned   s  ... of size 3
#   W  a write request (on a read-only disk: status 01, the file untouched)
#   P  reads past the end of the disk: sector 0x800, 0x7ff + 2 sectors, sector 2^64 - 1 (status 01)
#   U  request type 99 (status 02, unsupported)
#   F  a flush (status 00)                     G  get-id into 20 bytes (with ,serial=hostile)
#   D  discard sector 1, write-zeroes sector 2, write-zeroes with UNMAP sector 3 (status 00 each),
#      sectors 1-3 read back; then a discard past the end and one of 65537 sectors (status 01)
	.code64
	.include "kvmrun.inc"
	.include "virtio.inc"
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
	lea	cases(%rip), %rbx
	mov	which(%rip), %al
1:	cmpb	$0, (%rbx)
	je	unknown
	cmp	(%rbx), %al
	je	2f
	add	$5, %rbx
	jmp	1b
2:	movslq	1(%rbx), %rax
	lea	cases(%rip), %rcx
	add	%rcx, %rax
	jmp	*%rax
unknown:
	mov	$13, %al
	out	%al, $KVMRUN_EXIT
	hlt

# The common end: wait for the device, print what happened, recover, exit 7.
post0:
	xor	%eax, %eax
	call	vio_post
waited:
	call	vio_wait
	call	vio_result
done:
	call	vio_recover
	mov	$7, %al
	out	%al, $KVMRUN_EXIT
	hlt

c_loop:						# 0 -> 1 -> 0
	call	vio_up
	DESC	VQ_DESC, 0, VQ_HDR, 16, F_NEXT, 1
	DESC	VQ_DESC, 1, VQ_HDR, 16, F_NEXT, 0
	jmp	post0
c_ind_loop:					# indirect: 0 -> 1 -> 0
	call	vio_up
	DESC	VQ_DESC, 0, VQ_IND, 32, F_INDIRECT, 0
	DESC	VQ_IND, 0, VQ_HDR, 16, F_NEXT, 1
	DESC	VQ_IND, 1, VQ_HDR, 16, F_NEXT, 0
	jmp	post0
c_next:
	call	vio_up
	DESC	VQ_DESC, 0, VQ_HDR, 16, F_NEXT, 8
	jmp	post0
c_ind_next:
	call	vio_up
	DESC	VQ_DESC, 0, VQ_IND, 32, F_INDIRECT, 0
	DESC	VQ_IND, 0, VQ_HDR, 16, F_NEXT, 2
	jmp	post0
c_head:
	call	vio_up
	mov	$0xffff, %eax
	call	vio_post
	jmp	waited
c_avail:
	call	vio_up
	DESC	VQ_DESC, 0, VQ_HDR, 16, F_NEXT, 1
	movw	$9, VQ_AVAIL + 2
	movw	$0, VIO_NOTIFY(%rbp)
	jmp	waited
c_out:
	call	vio_up
	HDR	BLK_IN, 0
	DESC	VQ_DESC, 0, VQ_HDR, 16, F_NEXT, 1
	DESC	VQ_DESC, 1, 0x1000000, 512, F_WRITE|F_NEXT, 2
	DESC	VQ_DESC, 2, VQ_STAT, 1, F_WRITE, 0
	jmp	post0
c_end:
	call	vio_up
	HDR	BLK_IN, 0
	DESC	VQ_DESC, 0, VQ_HDR, 16, F_NEXT, 1
	DESC	VQ_DESC, 1, 0xfffe00, 1024, F_WRITE|F_NEXT, 2
	DESC	VQ_DESC, 2, VQ_STAT, 1, F_WRITE, 0
	jmp	post0
c_wrap:
	call	vio_up
	HDR	BLK_IN, 0
	DESC	VQ_DESC, 0, VQ_HDR, 16, F_NEXT, 1
	DESC	VQ_DESC, 1, 0xfffffffffffffe00, 512, F_WRITE|F_NEXT, 2
	DESC	VQ_DESC, 2, VQ_STAT, 1, F_WRITE, 0
	jmp	post0
c_top:						# the last 512 bytes of RAM: valid
	call	vio_up
	movl	$0x7ff, %eax
	call	read_to_top
	jmp	done
c_hole:						# --mem 4G: RAM to 0xbfffffff, then 0x100000000-0x13fffffff
	call	vio_up
	HDR	BLK_IN, 0x7fe
	DESC	VQ_DESC, 0, VQ_HDR, 16, F_NEXT, 1
	DESC	VQ_DESC, 1, 0x13ffffe00, 512, F_WRITE|F_NEXT, 2
	DESC	VQ_DESC, 2, VQ_STAT, 1, F_WRITE, 0
	movb	$0xff, VQ_STAT
	xor	%eax, %eax
	call	vio_post
	call	vio_wait
	call	vio_result			# VQ_DATA untouched: zeros
	PUTS	m_high
	movabs	$0x13ffffe00, %rsi
	mov	$8, %edi
	call	hexdump
	mov	$'\n', %al
	call	putc
	DESC	VQ_DESC, 1, 0xbffffe00, 1024, F_WRITE|F_NEXT, 2
	jmp	post0
c_ind_next_flag:
	call	vio_up
	DESC	VQ_DESC, 0, VQ_IND, 32, F_INDIRECT|F_NEXT, 1
	DESC	VQ_DESC, 1, VQ_STAT, 1, F_WRITE, 0
	jmp	post0
c_nested:
	call	vio_up
	DESC	VQ_DESC, 0, VQ_IND, 16, F_INDIRECT, 0
	DESC	VQ_IND, 0, VQ_IND2, 48, F_INDIRECT, 0
	jmp	post0
c_no_ind:
	movl	$0, vio_feat_lo(%rip)
	call	vio_up
	DESC	VQ_DESC, 0, VQ_IND, 48, F_INDIRECT, 0
	call	ind_read
	movl	$1 << 28, vio_feat_lo(%rip)	# the recovery negotiates it again
	jmp	post0
c_ind_len:
	call	vio_up
	DESC	VQ_DESC, 0, VQ_IND, 20, F_INDIRECT, 0
	jmp	post0
c_too_long:					# header, then 258 in an indirect table
	call	vio_up
	HDR	BLK_IN, 0
	DESC	VQ_DESC, 0, VQ_HDR, 16, F_NEXT, 1
	DESC	VQ_DESC, 1, VQ_IND, 258*16, F_INDIRECT, 0
	mov	$VQ_IND, %edi
	mov	$VQ_BIG, %eax
	xor	%ecx, %ecx
1:	mov	%rax, (%rdi)
	movl	$512, 8(%rdi)
	movw	$F_WRITE|F_NEXT, 12(%rdi)
	lea	1(%ecx), %edx
	mov	%dx, 14(%rdi)
	add	$512, %eax
	add	$16, %rdi
	inc	%ecx
	cmp	$258, %ecx
	jne	1b
	movw	$F_WRITE, -4(%rdi)		# the last one ends the chain
	jmp	post0
c_max:						# 258 in one indirect table: valid
	call	vio_up
	HDR	BLK_IN, 0
	DESC	VQ_DESC, 0, VQ_IND, 258*16, F_INDIRECT, 0
	DESC	VQ_IND, 0, VQ_HDR, 16, F_NEXT, 1
	mov	$VQ_IND + 16, %edi
	mov	$VQ_BIG, %eax
	mov	$1, %ecx
1:	mov	%rax, (%rdi)
	movl	$512, 8(%rdi)
	movw	$F_WRITE|F_NEXT, 12(%rdi)
	lea	1(%ecx), %edx
	mov	%dx, 14(%rdi)
	add	$512, %eax
	add	$16, %rdi
	inc	%ecx
	cmp	$257, %ecx
	jne	1b
	DESC	VQ_IND, 257, VQ_STAT, 1, F_WRITE, 0
	movb	$0xff, VQ_STAT
	xor	%eax, %eax
	call	vio_post
	call	vio_wait
	call	vio_result
	PUTS	m_first
	mov	$VQ_BIG, %esi
	mov	$8, %edi
	call	hexdump
	PUTS	m_last
	mov	$VQ_BIG + 255 * 512, %esi
	mov	$8, %edi
	call	hexdump
	mov	$'\n', %al
	call	putc
	jmp	done
c_rw_order:
	call	vio_up
	HDR	BLK_IN, 0
	DESC	VQ_DESC, 0, VQ_HDR, 16, F_NEXT, 1
	DESC	VQ_DESC, 1, VQ_DATA, 512, F_WRITE|F_NEXT, 2
	DESC	VQ_DESC, 2, VQ_STAT, 1, 0, 0
	jmp	post0
c_no_hdr:
	call	vio_up
	DESC	VQ_DESC, 0, VQ_STAT, 1, F_WRITE, 0
	jmp	post0
c_ring_out:
	movq	$0x1000000, vio_desc(%rip)
	jmp	1f
c_ring_align:
	movq	$VQ_DESC + 8, vio_desc(%rip)
	jmp	1f
c_ring_size:
	movw	$3, vio_qsize(%rip)
1:	call	vio_up
	call	vio_print_status
	movq	$VQ_DESC, vio_desc(%rip)
	movw	$8, vio_qsize(%rip)
	jmp	done
c_write:					# sector 0 := "WRITTEN!" and zeros
	call	vio_up
	mov	$VQ_DATA, %edi
	xor	%eax, %eax
	mov	$64, %ecx
	rep stosq
	movabs	$0x214e455454495257, %rax	# "WRITTEN!"
	mov	%rax, VQ_DATA
	HDR	BLK_OUT, 0
	mov	$512, %ecx
	xor	%edx, %edx
	call	vio_request
	jmp	done
c_past:
	call	vio_up
	movl	$0x800, %eax
	call	vio_read
	HDR	BLK_IN, 0x7ff
	mov	$1024, %ecx				# 0x7ff and the sector past the end
	mov	$F_WRITE, %edx
	call	vio_request
	mov	$-1, %rax
	call	vio_read
	jmp	done
c_unsupp:
	call	vio_up
	HDR	99, 0
	mov	$512, %ecx
	mov	$F_WRITE, %edx
	call	vio_request
	jmp	done

c_flush:
	call	vio_up
	HDR	4, 0
	xor	%ecx, %ecx			# an empty readable buffer: none to write
	xor	%edx, %edx
	call	vio_request
	jmp	done
c_get_id:
	call	vio_up
	HDR	8, 0
	mov	$20, %ecx
	mov	$F_WRITE, %edx
	call	vio_request
	jmp	done

c_discard:
	call	vio_up
	mov	$1, %r12d			# sector
	mov	$11, %r13d			# DISCARD
	xor	%r14d, %r14d			# segment flags
	mov	$1, %r15d			# sectors
	call	discard
	mov	$2, %r12d
	mov	$13, %r13d			# WRITE_ZEROES
	call	discard
	mov	$3, %r12d
	mov	$1, %r14d			# UNMAP
	call	discard
	mov	$1, %eax
	call	vio_read
	mov	$2, %eax
	call	vio_read
	mov	$3, %eax
	call	vio_read
	mov	$0x800, %r12d			# past the end
	mov	$11, %r13d
	xor	%r14d, %r14d
	call	discard
	xor	%r12d, %r12d
	mov	$65537, %r15d			# more than max_discard_sectors
	call	discard
	jmp	done

# discard: request type R13 with one segment (sector R12, R15 sectors, flags R14).
discard:
	mov	%r13d, VQ_HDR
	movl	$0, VQ_HDR + 4
	movq	$0, VQ_HDR + 8
	mov	%r12, VQ_DATA
	mov	%r15d, VQ_DATA + 8
	mov	%r14d, VQ_DATA + 12
	mov	$16, %ecx
	xor	%edx, %edx
	jmp	vio_request

# read_to_top: read sector EAX into the last 512 bytes of RAM (16 MiB) and print them.
read_to_top:
	movl	$BLK_IN, VQ_HDR
	movl	$0, VQ_HDR + 4
	mov	%rax, VQ_HDR + 8
	DESC	VQ_DESC, 0, VQ_HDR, 16, F_NEXT, 1
	DESC	VQ_DESC, 1, 0xfffe00, 512, F_WRITE|F_NEXT, 2
	DESC	VQ_DESC, 2, VQ_STAT, 1, F_WRITE, 0
	movb	$0xff, VQ_STAT
	xor	%eax, %eax
	call	vio_post
	call	vio_wait
	call	vio_result
	PUTS	m_top
	mov	$0xfffe00, %esi
	mov	$8, %edi
	call	hexdump
	mov	$'\n', %al
	jmp	putc

# ind_read: a read of sector 0 through the indirect table at VQ_IND (3 entries).
ind_read:
	HDR	BLK_IN, 0
	DESC	VQ_IND, 0, VQ_HDR, 16, F_NEXT, 1
	DESC	VQ_IND, 1, VQ_DATA, 512, F_WRITE|F_NEXT, 2
	DESC	VQ_IND, 2, VQ_STAT, 1, F_WRITE, 0
	ret

	.include "print.inc"
	.include "hostile.inc"
	VIRTIO_ROUTINES

# Letter, then the handler's offset from cases (4 bytes); a 0 ends the table.
.macro CASE letter, handler
	.byte	\letter
	.long	\handler - cases
.endm
cases:
	CASE	'l', c_loop
	CASE	'L', c_ind_loop
	CASE	'n', c_next
	CASE	'N', c_ind_next
	CASE	'h', c_head
	CASE	'a', c_avail
	CASE	'o', c_out
	CASE	'e', c_end
	CASE	'w', c_wrap
	CASE	'E', c_top
	CASE	'H', c_hole
	CASE	'i', c_ind_next_flag
	CASE	'j', c_nested
	CASE	'I', c_no_ind
	CASE	'm', c_ind_len
	CASE	't', c_too_long
	CASE	'T', c_max
	CASE	'r', c_rw_order
	CASE	'z', c_no_hdr
	CASE	'q', c_ring_out
	CASE	'Q', c_ring_align
	CASE	's', c_ring_size
	CASE	'W', c_write
	CASE	'P', c_past
	CASE	'U', c_unsupp
	CASE	'F', c_flush
	CASE	'G', c_get_id
	CASE	'D', c_discard
	.byte	0

m_case:	.asciz "case "
m_high:	.asciz "high RAM: "
m_top:	.asciz "top of RAM: "
m_first: .asciz "first sector: "
m_last:	.asciz ", last: "
which:	.byte 0
