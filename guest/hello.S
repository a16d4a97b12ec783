# The example guest: 16-bit real mode, prints a greeting on COM1, halts.
# kvmrun loads it at 0x10000 with CS = DS = 0x1000 and IP = 0, so it is
# linked at 0 and its addresses are offsets in its own segment.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$greeting, %si
next:
	lodsb			# AL = DS:[SI++]
	test	%al, %al
	jz	done
	mov	%al, %ah
	mov	$COM1_LSR, %dx
wait:
	in	%dx, %al	# a polite driver waits for THR empty
	test	$LSR_THRE, %al
	jz	wait
	mov	%ah, %al
	mov	$COM1, %dx
	out	%al, %dx
	jmp	next
done:
	hlt			# ends the run with status 0

greeting:
	.asciz	"Hello from a kvmrun guest!\n"
