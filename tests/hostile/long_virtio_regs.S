# Long mode, with --disk: garbage in a virtio device's registers, chosen by a
# letter read from COM1; the device must neither crash nor stop working.
#   c  the common configuration at odd offsets and widths (reads printed as
#      "OFF/WIDTH: VALUE"), then all ones written at every offset 0-0x47 at
#      widths 1, 2, 4 and 8 and everything read back; the same in the MSI-X
#      table, the PBA, the ISR and the device configuration (capacity read
#      before and after); then a reset and a good read.
#   k  the notification area: queue 7's address (no such queue), queue 0's at
#      widths 1, 4 and 8 and at its odd bytes, the area's last bytes, a read;
#      then, with no reset, a good read.
# Exits through 0xf8 with 7.
	.code64
	.include "kvmrun.inc"
	.include "virtio.inc"
	.text
	.globl _start
_start:
	mov	$VIO_BAR, %ebp
	call	getc
	mov	%al, %r15b
	call	vio_up
	cmp	$'c', %r15b
	je	common
	cmp	$'k', %r15b
	je	notify
	mov	$13, %al
	out	%al, $KVMRUN_EXIT
	hlt

# SHOW OFF, WIDTH: read WIDTH bytes at BAR + OFF and print "OFF/WIDTH: VALUE".
.macro SHOW off, width
	mov	$\off, %r12d
	mov	$\width, %r13d
	call	show
.endm

common:
	SHOW	0x12, 2				# num_queues
	SHOW	0x10, 8				# msix_config .. queue_select
	SHOW	0x13, 2				# num_queues' high byte, device_status
	SHOW	0x1f, 4				# notify_off's high byte, queue_desc's low bytes
	SHOW	0x18, 2				# queue_size
	SHOW	0x3c, 8				# crosses the end: nothing there
	SHOW	0x3f, 1
	movb	$1, VIO_QSEL + 1(%rbp)		# queue_select's high byte: queue 0x100
	SHOW	0x16, 2
	SHOW	0x18, 2				# no such queue: size 0
	movw	$0, VIO_QSEL(%rbp)
	SHOW	0x18, 2
	movw	$0x0700, VIO_NUMQ + 1(%rbp)	# device_status through a 2-byte write at 0x13
	SHOW	0x14, 1
	# All ones everywhere in the common configuration, then every byte read.
	mov	$0x48, %esi
	call	sweep
	PUTS	m_swept
	SHOW	0x2000, 8			# capacity
	mov	$VIO_MSIX, %esi
	mov	$0x48, %r14d
	call	sweep_from
	mov	$VIO_PBA, %esi
	mov	$0x10, %r14d
	call	sweep_from
	mov	$VIO_ISR, %esi
	mov	$0x10, %r14d
	call	sweep_from
	mov	$VIO_DEVCFG, %esi
	mov	$0x48, %r14d
	call	sweep_from
	mov	$VIO_DEVCFG + 0xff8, %esi	# the end of the device configuration's page
	mov	$0x8, %r14d
	call	sweep_from
	SHOW	0x2000, 8
	SHOW	0x1000, 1			# ISR
	call	vio_recover
	mov	$7, %al
	out	%al, $KVMRUN_EXIT
	hlt

notify:
	movw	$7, VIO_NOTIFY + 4 * 7(%rbp)	# queue 7 does not exist
	movb	$0, VIO_NOTIFY(%rbp)
	movl	$0, VIO_NOTIFY(%rbp)
	movq	$0, VIO_NOTIFY(%rbp)
	movb	$0, VIO_NOTIFY + 3(%rbp)
	movw	$0, VIO_NOTIFY + 2(%rbp)
	movb	$0xff, VIO_NOTIFY + 4(%rbp)
	movl	$0xffffffff, VIO_NOTIFY + 0xffc(%rbp)
	movq	$-1, VIO_NOTIFY + 0xff8(%rbp)
	SHOW	0x3000, 8
	SHOW	0x301c, 2
	xor	%eax, %eax
	call	vio_read
	mov	$7, %al
	out	%al, $KVMRUN_EXIT
	hlt

# sweep: all ones written at BAR + 0 .. ESI - 1, at each offset at widths 1, 2,
# 4 and 8, then every offset read at those widths.
sweep:
	mov	%esi, %r14d
	xor	%esi, %esi
# sweep_from: the same for R14 bytes from BAR + ESI.
sweep_from:
	lea	(%rbp,%rsi), %rdi
	lea	(%rdi,%r14), %r9
	mov	%rdi, %r10
	mov	$-1, %rax
1:	movb	%al, (%rdi)
	movw	%ax, (%rdi)
	movl	%eax, (%rdi)
	movq	%rax, (%rdi)
	inc	%rdi
	cmp	%r9, %rdi
	jne	1b
	mov	%r10, %rdi
2:	movb	(%rdi), %al
	movw	(%rdi), %ax
	movl	(%rdi), %eax
	movq	(%rdi), %rax
	inc	%rdi
	cmp	%r9, %rdi
	jne	2b
	ret

show:
	mov	%r12d, %eax
	call	hex16
	mov	$'/', %al
	call	putc
	mov	%r13d, %eax
	add	$'0', %al
	call	putc
	mov	$':', %al
	call	putc
	mov	$' ', %al
	call	putc
	lea	(%rbp,%r12), %rdi
	cmp	$1, %r13d
	je	1f
	cmp	$2, %r13d
	je	2f
	cmp	$4, %r13d
	je	4f
	mov	(%rdi), %r12
	mov	%r12, %rax
	shr	$32, %rax
	call	hex32
	mov	%r12d, %eax
	call	hex32
	jmp	9f
1:	movzbl	(%rdi), %eax
	call	hex8
	jmp	9f
2:	movzwl	(%rdi), %eax
	call	hex16
	jmp	9f
4:	mov	(%rdi), %eax
	call	hex32
9:	mov	$'\n', %al
	jmp	putc

	.include "print.inc"
	.include "hostile.inc"
	VIRTIO_ROUTINES
m_swept: .asciz "swept\n"
