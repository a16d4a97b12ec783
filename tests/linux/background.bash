# shellcheck shell=bash
# For tests that talk to a Linux guest while it runs: the test starts kvmrun
# in the background (its pid in $guest, stdout in $D/out, stderr in $D/err)
# and waits for what init prints.

# lines: what the guest printed so far, without carriage returns and the
# kernel's log lines ("[    1.234] ...").
lines() {
	tr -d '\r' < "$D/out" | grep -v '^\[ *[0-9]*\.[0-9]*\]' || true
}

# wait_line TEXT: until the guest printed the line TEXT; fails, saying what
# it printed, after 200 s x TIME_SCALE or when kvmrun ended first.
wait_line() {
	local i
	for ((i = 0; i < 2000 * TIME_SCALE; i++)); do
		lines | grep -qxF "$1" && return 0
		kill -0 "$guest" 2>/dev/null || break
		sleep 0.1
	done
	printf 'no line "%s"; the guest printed:\n%s\nstderr:\n%s\n' "$1" "$(lines)" "$(cat "$D/err")"
	return 1
}

# finish: waits for kvmrun; its status in $status, what init printed in $out,
# stderr in $stderr (and all three in the test's output).
finish() {
	status=0
	wait "$guest" || status=$?
	guest=
	out=$(lines)
	stderr=$(cat "$D/err")
	printf 'status %s; init printed:\n%s\nstderr:\n%s\n' "$status" "$out" "$stderr"
}
