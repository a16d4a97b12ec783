# The C unit tests (tests/unit.c): parsing, guest_range, port I/O, UART,
# exit ports, console. No KVM needed.
load helpers

UNIT="$ROOT/tests/unit"

setup() {
	[ -x "$UNIT" ] || skip "tests/unit is not built: run make tests/unit"
}

@test "unit tests: every check passes" {
	run --separate-stderr timeout -k 2 $((60 * TIME_SCALE)) "$UNIT"
	printf '%s\n' "$output" "$stderr"	# shown only if the test fails: the failed checks
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[[ "${lines[-1]}" =~ ^unit:\ ([0-9]+)\ checks,\ 0\ failed$ ]]
	[ "${BASH_REMATCH[1]}" -gt 50 ]
	# Nothing but the summary: a failed check prints a line of its own.
	[ "${#lines[@]}" -eq 1 ]
}

@test "unit tests: known bugs in the core are fixed" {
	run --separate-stderr timeout -k 2 $((60 * TIME_SCALE)) "$UNIT" --known-bugs
	printf '%s\n' "$output" "$stderr"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[ "${lines[-1]}" = "unit: 6 checks, 0 failed" ]
}
