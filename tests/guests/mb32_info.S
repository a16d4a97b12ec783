# A Multiboot kernel that shows what it was given: CR0, CS, DS, EFLAGS, EAX, and from the
# information structure at EBX the flags, memory, command line, loader name,
# memory map and modules (each module's string and first 8 bytes).
	.code32
	.include "kvmrun.inc"
	.set MB_FLAGS, 0x00000003		# page-aligned modules, memory information
	.text
	.globl _start
_start:
	jmp	start
	.align	4
mb_header:
	.long	0x1badb002, MB_FLAGS, -(0x1badb002 + MB_FLAGS)
start:
	pushf					# EFLAGS as the loader left them
	mov	%eax, %edi			# keep EAX and EBX across the calls
	mov	%ebx, %ebp
	mov	$s_cr0, %esi
	call	puts
	mov	%cr0, %eax
	call	hex32
	mov	$s_cs, %esi
	call	puts
	mov	%cs, %eax
	call	hex16
	mov	$s_ds, %esi
	call	puts
	mov	%ds, %eax
	call	hex16
	mov	$s_eflags, %esi
	call	puts
	pop	%eax
	call	hex32
	mov	$s_eax, %esi
	call	puts
	mov	%edi, %eax
	call	hex32
	mov	$s_flags, %esi
	call	puts
	mov	0(%ebp), %eax
	call	hex32
	mov	$s_lower, %esi
	call	puts
	mov	4(%ebp), %eax
	call	hex32
	mov	$s_upper, %esi
	call	puts
	mov	8(%ebp), %eax
	call	hex32
	mov	$s_cmdline, %esi
	call	puts
	mov	16(%ebp), %esi
	call	puts
	mov	$s_name, %esi
	call	puts
	mov	64(%ebp), %esi
	call	puts
	mov	$s_mmap, %esi			# the first memory map entry: base, length, type
	call	puts
	mov	48(%ebp), %edi
	mov	8(%edi), %eax			# base, high half
	call	hex32
	mov	4(%edi), %eax
	call	hex32
	mov	$' ', %al
	call	putc
	mov	16(%edi), %eax			# length
	call	hex32
	mov	12(%edi), %eax
	call	hex32
	mov	$' ', %al
	call	putc
	mov	20(%edi), %eax			# type
	call	hex8
	mov	$s_mmaplen, %esi
	call	puts
	mov	44(%ebp), %eax
	call	hex32
	mov	$s_mods, %esi
	call	puts
	mov	20(%ebp), %eax
	call	hex8
	mov	24(%ebp), %edi			# module array
	mov	20(%ebp), %ecx
1:	test	%ecx, %ecx
	jz	2f
	push	%ecx
	mov	$s_mod, %esi
	call	puts
	mov	0(%edi), %eax			# start: page aligned?
	and	$0xfff, %eax
	call	hex16
	mov	$' ', %al
	call	putc
	mov	4(%edi), %eax			# length
	sub	0(%edi), %eax
	call	hex32
	mov	$' ', %al
	call	putc
	mov	8(%edi), %esi			# string
	call	puts
	mov	$' ', %al
	call	putc
	mov	0(%edi), %esi			# first 8 bytes
	movb	$0, %bl
	mov	$8, %ecx
3:	lodsb
	push	%ecx
	call	putc
	pop	%ecx
	loop	3b
	add	$16, %edi
	pop	%ecx
	dec	%ecx
	jmp	1b
2:	mov	$'\n', %al
	call	putc
	mov	$0, %al
	mov	$QEMU_EXIT, %dx				# status 1 under both kvmrun and QEMU
	out	%al, %dx
	hlt

	.include "print.inc"
s_cr0:	.asciz "cr0="
s_cs:	.asciz " cs="
s_ds:	.asciz " ds="
s_eflags: .asciz " eflags="
s_eax:	.asciz "\neax="
s_flags: .asciz "\nflags="
s_lower: .asciz "\nmem_lower="
s_upper: .asciz " mem_upper="
s_cmdline: .asciz "\ncmdline='"
s_name:	.asciz "'\nloader='"
s_mmap:	.asciz "'\nmmap="
s_mmaplen: .asciz " mmap_length="
s_mods:	.asciz "\nmods="
s_mod:	.asciz "\nmodule offset="
