# fw_cfg from a Multiboot kernel: prints the signature (key 0x00), the RAM
# size (0x03) and CPU count (0x05) as their bytes in hex, and the command
# line (0x15, the -append / --append text, without the kernel's name) up to
# its NUL. Port interface: a 16-bit key to 0x510, bytes from 0x511. Keys
# where QEMU and kvmrun differ by design (the ID, 0x01: QEMU offers DMA;
# the file directory, 0x19) are not read. Exits through 0xf4 with 0x0b
# (status 23).
	.code32
	.include "kvmrun.inc"
	.set	MB_MAGIC, 0x1badb002
	.set	MB_FLAGS, 0
	.set	FW_CFG_SELECTOR, 0x510
	.set	FW_CFG_DATA, 0x511
	.set	FW_CFG_SIGNATURE, 0x00
	.set	FW_CFG_RAM_SIZE, 0x03
	.set	FW_CFG_NB_CPUS, 0x05
	.set	FW_CFG_CMDLINE_DATA, 0x15
	.text
	.globl	_start
	.align	4
mb_header:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
_start:
	mov	$stack_top, %esp
	mov	$msg_sig, %esi
	call	puts
	mov	$FW_CFG_SIGNATURE, %ax
	call	select
	mov	$4, %ebp
1:	call	byte
	call	putc
	dec	%ebp
	jnz	1b
	mov	$msg_ram, %esi
	call	puts
	mov	$FW_CFG_RAM_SIZE, %ax
	mov	$8, %ebp
	call	dump
	mov	$msg_cpus, %esi
	call	puts
	mov	$FW_CFG_NB_CPUS, %ax
	mov	$2, %ebp
	call	dump
	mov	$msg_cmdline, %esi
	call	puts
	mov	$FW_CFG_CMDLINE_DATA, %ax
	call	select
	mov	$256, %ebp		# a bound, should the NUL never come
2:	call	byte
	test	%al, %al
	jz	3f
	call	putc
	dec	%ebp
	jnz	2b
3:	mov	$msg_close, %esi
	call	puts
	mov	$0x0b, %al
	out	%al, $QEMU_EXIT
	hlt

# select: key in AX. byte: the next byte of the item in AL.
select:
	mov	$FW_CFG_SELECTOR, %dx
	out	%ax, %dx
	ret
byte:
	mov	$FW_CFG_DATA, %dx
	in	%dx, %al
	ret
# dump: key in AX, EBP bytes of it in hex, in the order read.
dump:
	call	select
1:	call	byte
	call	hex8
	dec	%ebp
	jnz	1b
	ret

	.include "print.inc"
msg_sig:     .asciz "fw_cfg sig="
msg_ram:     .asciz " ram="
msg_cpus:    .asciz " cpus="
msg_cmdline: .asciz " cmdline=["
msg_close:   .asciz "]\n"

	.bss
	.align	16
	.skip	256
stack_top:
