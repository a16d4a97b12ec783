# Reads and writes every port 0-0xffff at sizes 1, 2 and 4, then shows that
# COM1 and fw_cfg still work and exits through 0xf8 with status 42.
#
# Writes skip every access whose bytes touch the exit ports 0xf4-0xf9 or
# pvpanic's 0x505 (bit 0 of 0xa5 reports a panic, which ends the run). Each
# write carries 0xa5a5a5a5: every byte has bit 7 set, so COM1's LCR keeps
# DLAB on (set before the sweep) and the writes at 0x3f8 go to the divisor
# latch, never to stdout; MCR takes 0xa5 & 0x1f = 0x05, no loopback. fw_cfg
# is left selecting key 0xa5a5 (unknown: reads as zeros) until reselected.
	.code16
	.include "kvmrun.inc"
	.set	COM1_LCR, 0x3fb
	.set	COM1_SCR, 0x3ff
	.set	LCR_DLAB, 0x80
	.set	FWCFG_SEL, 0x510
	.set	FWCFG_DATA, 0x511
	.text
	.globl _start
_start:
	mov	$COM1_LCR, %dx
	mov	$LCR_DLAB, %al
	out	%al, %dx
	xor	%bx, %bx		# the port; 65536 rounds, until it wraps
sweep:
	mov	%bx, %dx
	in	%dx, %al
	in	%dx, %ax
	in	%dx, %eax
	mov	$0xa5a5a5a5, %eax
	cmp	$0xf4, %bx		# 1 byte: skip 0xf4-0xf9 and pvpanic's 0x505
	jb	1f
	cmp	$0xf9, %bx
	jbe	2f
	cmp	$0x505, %bx
	je	2f
1:	out	%al, %dx
2:	cmp	$0xf3, %bx		# 2 bytes: skip 0xf3-0xf9 and 0x504-0x505
	jb	1f
	cmp	$0xf9, %bx
	jbe	2f
	cmp	$0x504, %bx
	jb	1f
	cmp	$0x505, %bx
	jbe	2f
1:	out	%ax, %dx
2:	cmp	$0xf1, %bx		# 4 bytes: skip 0xf1-0xf9 and 0x502-0x505
	jb	1f
	cmp	$0xf9, %bx
	jbe	2f
	cmp	$0x502, %bx
	jb	1f
	cmp	$0x505, %bx
	jbe	2f
1:	out	%eax, %dx
2:	inc	%bx
	jnz	sweep

	# DLAB is still on: LCR, the divisor latch and the scratch register hold the pattern.
	mov	$COM1_LCR, %dx
	in	%dx, %al
	mov	%al, lcr
	mov	$COM1, %dx
	in	%dx, %al
	mov	%al, dll
	mov	$COM1_SCR, %dx
	in	%dx, %al
	mov	%al, scr
	mov	$COM1_LCR, %dx
	mov	$0x03, %al		# 8N1, DLAB off: 0x3f8 is THR again
	out	%al, %dx
	# fw_cfg: select the signature (key 0) and read its 4 bytes in one access.
	mov	$FWCFG_SEL, %dx
	xor	%ax, %ax
	out	%ax, %dx
	mov	$FWCFG_DATA, %dx
	in	%dx, %eax
	mov	%eax, sig

	mov	$s_lcr, %si
	call	puts
	mov	lcr, %al
	call	hex8
	mov	$s_dll, %si
	call	puts
	mov	dll, %al
	call	hex8
	mov	$s_scr, %si
	call	puts
	mov	scr, %al
	call	hex8
	mov	$s_fw, %si
	call	puts
	mov	$sig, %si
	call	puts
	mov	$'\n', %al
	call	putc
	mov	$42, %al
	out	%al, $KVMRUN_EXIT
	hlt

	.include "print.inc"
s_lcr:	.asciz "swept; lcr "
s_dll:	.asciz " dll "
s_scr:	.asciz " scr "
s_fw:	.asciz " fw_cfg "
lcr:	.byte 0
dll:	.byte 0
scr:	.byte 0
sig:	.long 0
	.byte 0
