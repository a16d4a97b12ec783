# tests/guests/snap.inc in 16-bit code: SNAP -1, SPIN 0x20000000 (see there).
	.code16
	.include "kvmrun.inc"
	.set	SNAP, -1
	.set	SPIN, 0x20000000
	.include "tests/guests/snap.inc"	# a path from the repository root, where make runs
