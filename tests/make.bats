#!/usr/bin/env bats
# The Makefile's promises: the README's first command, version, install.
load helpers

@test "make run builds and runs the example guest" {
	need_kvm
	run -0 --separate-stderr timeout $((120 * TIME_SCALE)) make -s --no-print-directory -C "$ROOT" run
	[ "$output" = "Hello from a kvmrun guest!" ]
}

@test "make version prints the version kvmrun reports" {
	run -0 make -s --no-print-directory -C "$ROOT" version
	[ "kvmrun $output" = "$("$KVMRUN" --version)" ]
}

@test "make install honours DESTDIR and PREFIX" {
	run -0 make -s --no-print-directory -C "$ROOT" install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/kr
	[ -x "$BATS_TEST_TMPDIR/root/opt/kr/bin/kvmrun" ]
	cmp "$ROOT/kvmrun" "$BATS_TEST_TMPDIR/root/opt/kr/bin/kvmrun"
}
