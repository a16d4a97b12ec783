# Multiboot a.out kludge: header flags bit 16 says where the image goes
# (header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr), so the
# loader needs no ELF: tests/qemu.bats links it at 0x200000 and objcopies
# it to a flat binary. The entry is not the first byte of the image. Prints
# a fixed line, checks that the bss the loader must clear is zero, and
# exits through 0xf4 with a 2-byte write of 0x33 (status 103).
	.code32
	.include "kvmrun.inc"
	.set	MB_MAGIC, 0x1badb002
	.set	MB_FLAGS, 1 << 16	# the address fields below are valid
	.text
	.globl	_start
load_start:
	.align	4
mb_header:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
	.long	mb_header		# header_addr
	.long	load_start		# load_addr
	.long	load_end		# load_end_addr
	.long	bss_end			# bss_end_addr
	.long	_start			# entry_addr
msg:	.asciz	"MB a.out kludge ok"
msg_bss: .asciz	" bss="
_start:
	mov	$stack_top, %esp
	mov	$msg, %esi
	call	puts
	mov	$msg_bss, %esi
	call	puts
	mov	bss_word, %eax
	call	hex32
	mov	$'\n', %al
	call	putc
	mov	$0x33, %ax
	out	%ax, $QEMU_EXIT
	hlt

	.include "print.inc"
	.align	4
load_end:

	.bss
	.align	16
bss_word:
	.skip	4
	.skip	252
stack_top:
bss_end:
