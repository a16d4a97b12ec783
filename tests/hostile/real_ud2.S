# Real mode: prints "before\n", then ud2. The #UD goes through the IVT at
# linear 0, which nobody wrote: vector 6 is 0000:0000, where RAM holds zeros
# (00 00 is add %al,(%bx,%si)), so the CPU runs through zeroed memory and
# around the 64 KiB segment for ever; only --timeout ends it.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$msg, %si
	call	puts
	ud2

	.include "print.inc"
msg:	.asciz "before\n"
