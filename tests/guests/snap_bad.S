# tests/guests/snap.inc in 16-bit code: SNAP 2 (a value the port refuses), SPIN 0 (see there).
	.code16
	.include "kvmrun.inc"
	.set	SNAP, 2
	.set	SPIN, 0
	.include "tests/guests/snap.inc"	# a path from the repository root, where make runs
