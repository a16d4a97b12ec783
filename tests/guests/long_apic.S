# The in-kernel LAPIC from a 64-bit guest: prints CPUID's APIC and TSC-deadline
# bits and CR8, then arms the LAPIC timer once (vector 0x40), halts with
# interrupts on, and on the interrupt prints "tick" and exits with status 0.
# Without --irqchip there is no LAPIC: it prints "apic=0 ..." and exits 3.
	.code64
	.include "kvmrun.inc"
	.set APIC_SVR, 0xf0
	.set APIC_EOI, 0xb0
	.set APIC_LVT_TIMER, 0x320
	.set APIC_TIMER_INIT, 0x380
	.set APIC_TIMER_DIV, 0x3e0
	.set VECTOR, 0x40
	.text
	.globl _start
_start:
	mov	$1, %eax
	cpuid
	mov	%edx, %r12d
	mov	%ecx, %r13d
	lea	s_apic(%rip), %rsi
	call	puts
	mov	%r12d, %eax
	shr	$9, %eax
	and	$1, %eax
	call	hex8
	lea	s_deadline(%rip), %rsi
	call	puts
	mov	%r13d, %eax
	shr	$24, %eax
	and	$1, %eax
	call	hex8
	lea	s_cr8(%rip), %rsi
	call	puts
	mov	%cr8, %rax
	call	hex8
	mov	$'\n', %al
	call	putc
	bt	$9, %r12d			# no LAPIC: nothing more to try
	jc	1f
	mov	$3, %al
	mov	$KVMRUN_EXIT, %dx
	out	%al, %dx

1:	lea	idt(%rip), %rdi			# interrupt gate for VECTOR -> tick
	lea	tick(%rip), %rax
	mov	%ax, VECTOR*16(%rdi)
	movw	$0x18, VECTOR*16+2(%rdi)	# the runner's 64-bit code selector
	movw	$0x8e00, VECTOR*16+4(%rdi)	# present, DPL 0, 64-bit interrupt gate
	shr	$16, %rax
	mov	%ax, VECTOR*16+6(%rdi)
	shr	$16, %rax
	mov	%eax, VECTOR*16+8(%rdi)
	lidt	idtr(%rip)

	mov	$0xfee00000, %ebx		# the LAPIC, identity-mapped
	movl	$0x1ff, APIC_SVR(%rbx)		# software enable, spurious vector 0xff
	movl	$0xb, APIC_TIMER_DIV(%rbx)	# divide by 1
	movl	$VECTOR, APIC_LVT_TIMER(%rbx)	# one-shot, unmasked
	movl	$100000, APIC_TIMER_INIT(%rbx)
	sti
2:	hlt					# the timer interrupt wakes it
	jmp	2b

tick:
	lea	s_tick(%rip), %rsi
	call	puts
	mov	$0xfee00000, %ebx
	movl	$0, APIC_EOI(%rbx)
	mov	$0, %al
	mov	$KVMRUN_EXIT, %dx
	out	%al, %dx

	.include "print.inc"
s_apic:	.asciz "apic="
s_deadline: .asciz " tsc-deadline="
s_cr8:	.asciz " cr8="
s_tick:	.asciz "tick\n"
	.align	8
idtr:	.word	VECTOR*16+15
	.quad	idt
	.align	16
idt:	.fill	VECTOR*16+16, 1, 0
