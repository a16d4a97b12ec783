# User mode: rep outsb with DF set, from the first user page (0x9000) down
# into the runner's last page: the 4 bytes above the boundary go out ("dcba"),
# then the run ends as a guest fault at the first byte below it, with RCX
# counting the 4 bytes left.
	.code64
	.include "kvmrun.inc"
	.globl	_start
_start:
	movl	$0x64636261, 0x9000	# "abcd"
	mov	$COM1, %dx
	mov	$0x9003, %esi
	mov	$8, %ecx
	std
fault:	rep outsb
	cld
	mov	$1, %al
	out	%al, $KVMRUN_EXIT
