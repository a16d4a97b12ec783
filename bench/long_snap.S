# The guest of bench/snapshot.sh: 64-bit, run with --mode long (identity-mapped
# RAM). Its command line (--append, read through fw_cfg) is "MIB" or "MIB s".
# It writes one quadword, the page's own address, into each 4 KiB page of MIB
# MiB from 4 MiB up, so that a snapshot holds exactly those pages (and the
# image's), then with " s" asks port 0xf0 to save the VM and end the run (1);
# a restore resumes right after that OUT. From there, cold or restored alike,
# it prints "ok\n" at once and reads port 0xf0: COM1's output is batched, and
# an exit at any other port writes it out now rather than at the 10 ms tick,
# so the benchmark's first byte is the guest's first output. Then it reads
# back every page it wrote and prints "pages PPPPPPPP sum SSSSSSSS\n" (a
# restore that lost a page prints another sum), and exits with status 0.
	.code64
	.include "kvmrun.inc"
	.set	FW_SEL, 0x510
	.set	FW_DATA, 0x511
	.set	FW_CMDLINE, 0x15		# the command line's bytes, NUL-terminated
	.set	SNAP_PORT, 0xf0
	.set	BASE, 0x400000			# above the image, its stack and the page tables
	.set	PAGE, 4096
	.text
	.globl	_start
_start:
	cld
	mov	$FW_CMDLINE, %ax
	mov	$FW_SEL, %dx
	out	%ax, %dx
	mov	$FW_DATA, %dx
	xor	%ebx, %ebx			# MiB, from the digits
	xor	%ebp, %ebp			# 1: "s", save and end
	mov	$32, %ecx			# at most this many bytes: past the end they read 0
1:	in	%dx, %al
	test	%al, %al
	jz	3f
	cmp	$'s', %al
	jne	2f
	mov	$1, %ebp
2:	sub	$'0', %al
	cmp	$9, %al
	ja	4f
	movzbl	%al, %eax
	imul	$10, %ebx, %ebx
	add	%eax, %ebx
4:	loop	1b
3:	shl	$8, %ebx			# pages: MiB * 256
	mov	%ebx, pages
	mov	$BASE, %edi
	mov	%ebx, %ecx
	jecxz	6f
5:	mov	%rdi, (%rdi)
	add	$PAGE, %rdi
	loop	5b
6:	test	%ebp, %ebp
	jz	restored
	mov	$1, %al
	out	%al, $SNAP_PORT			# saved, the run ends; --restore goes on below
restored:
	mov	$s_ok, %esi
	call	puts
	in	$SNAP_PORT, %al			# not COM1: kvmrun writes "ok\n" now
	mov	$s_pages, %esi
	call	puts
	mov	pages, %eax
	call	hex32
	mov	$0x811c9dc5, %eax		# sum = sum * 0x01000193 ^ page's quadword (low half)
	mov	$BASE, %esi
	mov	pages, %ecx
	jecxz	8f
7:	imul	$0x01000193, %eax, %eax
	xor	(%rsi), %eax
	add	$PAGE, %rsi
	loop	7b
8:	mov	%eax, sum
	mov	$s_sum, %esi
	call	puts
	mov	sum, %eax
	call	hex32
	mov	$'\n', %al
	call	putc
	mov	$0, %al
	out	%al, $KVMRUN_EXIT
	hlt

	.include "print.inc"

s_ok:	.asciz	"ok\n"
s_pages: .asciz	"pages "
s_sum:	.asciz	" sum "
	.align	4
pages:	.long	0
sum:	.long	0
