#!/usr/bin/env bats
# Guest output reaches stdout byte for byte, in order, whatever happens.
load helpers

setup() { need_kvm; }

expected_64k() {
	local f="$BATS_TEST_TMPDIR/expected" i
	for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done > "$f.256"
	for i in $(seq 256); do cat "$f.256"; done > "$f"
	echo "$f"
}

@test "64 KiB of binary output, every byte value, arrives exactly (no translation)" {
	exp=$(expected_64k)
	[ "$(stat -c %s "$exp")" -eq 65536 ]
	kvmrun "$G/bytes64k.bin" > "$BATS_TEST_TMPDIR/got"
	cmp "$exp" "$BATS_TEST_TMPDIR/got"
}

@test "a slow reader loses nothing" {
	exp=$(expected_64k)
	timeout $((30 * TIME_SCALE)) "$KVMRUN" "$G/bytes64k.bin" | (sleep 1; cat) > "$BATS_TEST_TMPDIR/got"
	cmp "$exp" "$BATS_TEST_TMPDIR/got"
}

@test "a non-blocking stdout (a pipe set O_NONBLOCK) loses nothing" {
	exp=$(expected_64k)
	python3 - "$KVMRUN" "$G/bytes64k.bin" "$BATS_TEST_TMPDIR/got" <<'PY'
import fcntl, os, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(["timeout", "30", sys.argv[1], sys.argv[2]], stdout=w)
os.close(w)
time.sleep(0.5)
data = b""
while chunk := os.read(r, 65536):
    data += chunk
open(sys.argv[3], "wb").write(data)
sys.exit(p.wait())
PY
	cmp "$exp" "$BATS_TEST_TMPDIR/got"
}

@test "output written before a fault is all there" {
	run -100 --separate-stderr kvmrun --mode protected "$G/prot_ud2.bin"
	[ "$output" = "before" ]
}

@test "a guest that prints and then spins is seen while it still runs" {
	out="$BATS_TEST_TMPDIR/out"
	timeout $((30 * TIME_SCALE)) "$KVMRUN" --timeout 20 "$G/spin.bin" > "$out" 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
	# The guest never exits on its own: the output came from the periodic flush.
	kill -0 "$pid"
	kill -TERM "$pid"
	wait "$pid" || true
	[ "$(cat "$out")" = "spinning" ]
}

@test "stdout on a file, stderr apart: stdout holds guest bytes and nothing else" {
	kvmrun -v --stats "$ROOT/guest/hello.bin" > "$BATS_TEST_TMPDIR/o" 2> "$BATS_TEST_TMPDIR/e"
	[ "$(od -An -c "$BATS_TEST_TMPDIR/o")" = "$(printf 'Hello from a kvmrun guest!\n' | od -An -c)" ]
	! grep -v '^kvmrun: ' "$BATS_TEST_TMPDIR/e"
}

@test "a reader that never reads cannot hold kvmrun past --timeout" {
	# The guest must write more than the pipe (4 KiB) takes before the timeout, an
	# exit a byte: on a loaded host (the ASan build beside the suite) 0.5 s was too
	# little once, and everything fitted. So the timeout scales too.
	t=$((TIME_SCALE))
	hold_unread "$BATS_TEST_TMPDIR/fifo" $((20 * TIME_SCALE))	# outlives the run below, even on a loaded host
	run --separate-stderr bash -c 'timeout $((15 * TIME_SCALE)) "$KVMRUN" --timeout "$2" "$G/flood.bin" > "$1"' _ "$BATS_TEST_TMPDIR/fifo" "$t"
	kill "$holder"
	[ "$status" -eq 124 ]
	[ "${stderr_lines[0]}" = "kvmrun: guest still running after $t s (--timeout); stopped it" ]
	[[ "${stderr_lines[1]}" =~ ^"kvmrun: stdout's reader stopped reading; "[0-9]+" bytes of guest output were not written"$ ]]
	[ "${#stderr_lines[@]}" -eq 2 ]
}
