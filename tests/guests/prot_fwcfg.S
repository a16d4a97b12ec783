# fw_cfg from inside: signature, ID, RAM size, CPUs, file directory count,
# command line (size and data) and an unknown key, one byte per read from 0x511.
	.code32
	.include "kvmrun.inc"
	.set FW_SEL, 0x510
	.set FW_DATA, 0x511
	.text
	.globl _start
_start:
	mov	$0x00, %ax			# signature: 4 characters
	mov	$4, %ecx
	call	fw_read
	mov	$s_sig, %esi
	call	puts
	mov	$buf, %esi
	call	puts
	mov	$0x01, %ax			# ID
	mov	$4, %ecx
	call	fw_read
	mov	$s_id, %esi
	call	puts
	mov	buf, %eax
	call	hex32
	mov	$0x03, %ax			# RAM size, 64-bit little-endian
	mov	$8, %ecx
	call	fw_read
	mov	$s_ram, %esi
	call	puts
	mov	buf+4, %eax
	call	hex32
	mov	buf, %eax
	call	hex32
	mov	$0x05, %ax			# number of CPUs
	mov	$2, %ecx
	call	fw_read
	mov	$s_cpus, %esi
	call	puts
	mov	buf, %eax
	call	hex16
	mov	$0x19, %ax			# file directory: big-endian count
	mov	$4, %ecx
	call	fw_read
	mov	$s_files, %esi
	call	puts
	mov	buf, %eax
	call	hex32
	mov	$0x14, %ax			# command line size
	mov	$4, %ecx
	call	fw_read
	mov	$s_clsize, %esi
	call	puts
	mov	buf, %eax
	call	hex32
	mov	buf, %ecx			# command line data, NUL included
	mov	$0x15, %ax
	call	fw_read
	mov	$s_cl, %esi
	call	puts
	mov	$buf, %esi
	call	puts
	mov	$0x1234, %ax			# a key nobody knows: zeros
	mov	$4, %ecx
	movl	$0xffffffff, buf
	call	fw_read
	mov	$s_unknown, %esi
	call	puts
	mov	buf, %eax
	call	hex32
	mov	$'\n', %al
	call	putc
	hlt

# fw_read: select key AX, read ECX bytes into buf (NUL-terminated after them).
fw_read:
	mov	$FW_SEL, %dx
	out	%ax, %dx
	mov	$FW_DATA, %dx
	mov	$buf, %edi
	movb	$0, (%edi,%ecx)
1:	in	%dx, %al
	stosb
	loop	1b
	ret

	.include "print.inc"
s_sig:	.asciz "sig="
s_id:	.asciz " id="
s_ram:	.asciz " ram="
s_cpus:	.asciz " cpus="
s_files: .asciz " files="
s_clsize: .asciz " cmdline_size="
s_cl:	.asciz " cmdline='"
s_unknown: .asciz "' unknown="
	.align	4
buf:	.fill	256, 1, 0
