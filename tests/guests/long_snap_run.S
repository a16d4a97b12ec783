# tests/guests/snap.inc in 64-bit code: SNAP -1, SPIN 0x20000000 (see there).
	.code64
	.include "kvmrun.inc"
	.set	SNAP, -1
	.set	SPIN, 0x20000000
	.include "tests/guests/snap.inc"	# a path from the repository root, where make runs
