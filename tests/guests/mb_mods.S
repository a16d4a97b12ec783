# Multiboot modules: asks for page-aligned modules and memory information
# (header flags bits 0 and 1), then prints the module count and, for each
# module, its string, its length, whether it starts on a page boundary and
# its first bytes (at most 8) in hex. Exits through 0xf4 with 0x2a
# (status 85). Prints "no modules" when flags bit 3 is clear.
	.code32
	.include "kvmrun.inc"
	.set	MB_MAGIC, 0x1badb002
	.set	MB_FLAGS, 0x3		# page-align modules, memory information
	.set	MBI_FLAGS, 0
	.set	MBI_MODS_COUNT, 20
	.set	MBI_MODS_ADDR, 24
	.set	MBI_HAS_MODS, 1 << 3
	.set	MOD_START, 0
	.set	MOD_END, 4
	.set	MOD_STRING, 8
	.set	MOD_SIZE, 16
	.text
	.globl	_start
	.align	4
mb_header:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
_start:
	mov	$stack_top, %esp
	testl	$MBI_HAS_MODS, MBI_FLAGS(%ebx)
	jz	none
	mov	MBI_MODS_COUNT(%ebx), %ebp	# modules left
	mov	MBI_MODS_ADDR(%ebx), %edi	# the current module entry
	mov	$msg_count, %esi
	call	puts
	mov	%ebp, %eax
	call	hex8
	mov	$'\n', %al
	call	putc
next:	test	%ebp, %ebp
	jz	done
	mov	$msg_open, %esi
	call	puts
	mov	MOD_STRING(%edi), %esi
	call	puts
	mov	$msg_len, %esi
	call	puts
	mov	MOD_END(%edi), %eax
	sub	MOD_START(%edi), %eax
	call	hex32
	mov	$msg_aligned, %esi
	testl	$0xfff, MOD_START(%edi)
	jz	1f
	mov	$msg_unaligned, %esi
1:	call	puts
	mov	MOD_START(%edi), %esi		# first bytes: at most 8, at most the length
	mov	MOD_END(%edi), %ecx
	sub	%esi, %ecx
	cmp	$8, %ecx
	jbe	2f
	mov	$8, %ecx
2:	jecxz	4f
3:	push	%ecx
	mov	$' ', %al
	call	putc
	lodsb
	call	hex8
	pop	%ecx
	loop	3b
4:	mov	$'\n', %al
	call	putc
	add	$MOD_SIZE, %edi
	dec	%ebp
	jmp	next
none:	mov	$msg_none, %esi
	call	puts
done:	mov	$0x2a, %al
	out	%al, $QEMU_EXIT
	hlt

	.include "print.inc"
msg_count:     .asciz "mods="
msg_open:      .asciz "mod ["
msg_len:       .asciz "] len="
msg_aligned:   .asciz " page-aligned"
msg_unaligned: .asciz " unaligned"
msg_none:      .asciz "no modules\n"

	.bss
	.align	16
	.skip	256
stack_top:
