# The kit's 64-bit entry: kvmrun starts here in long mode (CS = 0x18,
# identity-mapped paging, RSP = the load address). Set up our own stack,
# zero .bss, call int main(void), then exit() with what it returned.
# guest64.ld puts .text.start first, so a flat image (objcopy -O binary)
# begins with _start and runs with kvmrun --mode long.
	.section .text.start, "ax"
	.code64
	.globl	_start
_start:
	cld
	lea	__bss_start(%rip), %rdi
	lea	__bss_end(%rip), %rcx
	sub	%rdi, %rcx
	xor	%eax, %eax
	rep stosb
	lea	kit_stack_top(%rip), %rsp	# 16-byte aligned before the call, as the ABI wants
	xor	%ebp, %ebp
	call	main
	mov	%eax, %edi
	call	exit
1:	hlt
	jmp	1b

	.section .stack, "aw", @nobits	# after .bss: not zeroed, only used
	.balign	16
	.skip	64 * 1024
kit_stack_top:

	.section .note.GNU-stack, "", @progbits
