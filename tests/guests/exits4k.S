# 4096 OUTs to COM1 (one exit each), then HLT: tests/helpers.bash times it
# against hello to learn what one exit costs on this host, and sizes the
# suite's outer timeouts by it.
	.code16
	.include "kvmrun.inc"
	.text
	.globl _start
_start:
	mov	$COM1, %dx
	mov	$4096, %cx
	mov	$'.', %al
1:	out	%al, %dx
	loop	1b
	hlt
