#!/usr/bin/env bats
# The test host itself (tests/vm/): what goes in comes out, exactly. These run
# on this machine, not inside the test host (each test boots it: about 8 s);
# make check-testvm runs them, and CI does.
bats_require_minimum_version 1.5.0

VM="$(cd "$BATS_TEST_DIRNAME" && pwd)"
ROOT="$(cd "$VM/../.." && pwd)"

# A build's progress lines would land in the first test's stderr.
setup_file() {
	command -v qemu-system-x86_64 >/dev/null || return 0
	"$VM/build.sh" 2>/dev/null
}

setup() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
	cd "$ROOT"
}

@test "stdout and stderr arrive apart and byte for byte (every byte value, CR and LF untranslated), arguments as given, the status exactly" {
	t=$BATS_TEST_TMPDIR
	{ for i in $(seq 0 255); do printf "\\x$(printf %02x "$i")"; done; printf 'a\r\nb\n\rc'; head -c 3000 /dev/urandom; } > "$t/bytes"
	mkdir -p "$ROOT/build"
	cp "$t/bytes" "$ROOT/build/testvm-bytes"
	{ printf '%s|' "two words" "'quoted'" '$HOME' ''; cat "$t/bytes"; } > "$t/expected-err"
	status=0
	timeout 300 "$VM/run.sh" bash -c 'cat build/testvm-bytes; printf "%s|" "$@" >&2; cat build/testvm-bytes >&2; exit 3' \
		_ "two words" "'quoted'" '$HOME' '' > "$t/out" 2> "$t/err" || status=$?
	rm -f "$ROOT/build/testvm-bytes"
	[ "$status" -eq 3 ]
	cmp "$t/bytes" "$t/out"
	cmp "$t/expected-err" "$t/err"
}

@test "the status of a command killed by a signal is 128 + N, and 255 stays 255" {
	run --separate-stderr timeout 300 "$VM/run.sh" sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	[ "$stderr" = "" ]
	run --separate-stderr timeout 300 "$VM/run.sh" sh -c 'exit 255'
	[ "$status" -eq 255 ]
}

@test "inside: /dev/kvm works, the host's root is read-only, the checkout is writable at the same path, the directory and environment are kept, stdout is a pipe as here" {
	mkdir -p "$ROOT/build"
	rm -f "$ROOT/build/testvm-written"
	cd "$ROOT/tests"
	run --separate-stderr env TESTVM_PROBE='a b' timeout 300 "$VM/run.sh" bash -c '
		python3 -c "import os, fcntl; fd = os.open(\"/dev/kvm\", os.O_RDWR); os.close(fcntl.ioctl(fd, 0xAE01, 0))" && echo kvm
		touch /usr/testvm-probe 2>/dev/null || echo read-only
		echo written > ../build/testvm-written
		pwd; echo "$TESTVM_PROBE $TESTVM"
		[ -t 1 ] || echo "stdout not a terminal"'
	[ "$status" -eq 0 ]
	[ "$output" = "kvm
read-only
$ROOT/tests
a b inside
stdout not a terminal" ]
	[ "$(cat "$ROOT/build/testvm-written")" = written ]
	rm -f "$ROOT/build/testvm-written"
	[ ! -e /usr/testvm-probe ]
}

@test "a command that outlives TESTVM_TIMEOUT is killed: status 124 and a message, output written before it kept" {
	run --separate-stderr env TESTVM_TIMEOUT=25 timeout 300 "$VM/run.sh" sh -c 'echo started; sleep 1000'
	[ "$status" -eq 124 ]
	[ "$output" = "started" ]
	[ "${stderr_lines[0]}" = "testvm: the test host was still running after 25 s (TESTVM_TIMEOUT) and was killed; its console log:" ]
}

@test "bad settings are refused at once: TESTVM, TESTVM_MEM, TESTVM_TIMEOUT, --shell without a terminal; a directory the test host cannot see" {
	run --separate-stderr env TESTVM=maybe "$VM/with-kvm" true
	[ "$status" -eq 2 ]
	[ "$stderr" = "testvm: TESTVM='maybe': say auto, yes or no" ]
	run --separate-stderr env TESTVM_MEM=lots "$VM/run.sh" true
	[ "$status" -eq 125 ]
	[ "$stderr" = "testvm: TESTVM_MEM 'lots' is not a number of MiB" ]
	run --separate-stderr env TESTVM_TIMEOUT=1h "$VM/run.sh" true
	[ "$status" -eq 125 ]
	[ "$stderr" = "testvm: TESTVM_TIMEOUT '1h' is not a number of seconds" ]
	run --separate-stderr "$VM/run.sh" --shell < /dev/null
	[ "$status" -eq 125 ]
	[ "$stderr" = "testvm: --shell needs a terminal on stdin" ]
	run --separate-stderr "$VM/with-kvm"
	[ "$status" -eq 2 ]
	[ "$stderr" = "usage: tests/vm/with-kvm COMMAND [ARG...]" ]
	# A directory the test host cannot see (this one boots it).
	mkdir -p "/tmp/testvm-elsewhere.$$"
	cd "/tmp/testvm-elsewhere.$$"
	run --separate-stderr timeout 300 "$VM/run.sh" pwd
	rmdir "/tmp/testvm-elsewhere.$$"
	[ "$status" -eq 125 ]
	[ "$output" = "" ]
	[ "$stderr" = "testvm: the current directory /tmp/testvm-elsewhere.$$ is not in the test host (it sees the checkout and this machine's root, with its own /tmp, /run, /var/tmp and /root)" ]
}

@test "with-kvm: TESTVM=no runs here, TESTVM=yes in the test host, and --where says which auto picks" {
	run -0 env TESTVM=no "$VM/with-kvm" sh -c 'echo "${TESTVM}"'
	[ "$output" = "no" ]
	run -0 --separate-stderr env TESTVM=yes timeout 300 "$VM/with-kvm" sh -c 'echo "${TESTVM}"'
	[ "$output" = "inside" ]
	[ "$stderr" = "testvm: TESTVM=yes: running 'sh -c echo \"\${TESTVM}\"' inside the test host (QEMU TCG with AMD SVM, kvm_amd)" ]
	run -0 env -u TESTVM "$VM/with-kvm" --where
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		[ "$output" = here ] || [ "$output" = testvm ]
	else
		[ "$output" = testvm ]
	fi
}

@test "the cache: a second build with the same inputs does nothing and says nothing" {
	run -0 --separate-stderr "$VM/build.sh"
	run -0 --separate-stderr "$VM/build.sh"
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	[ -s "$ROOT/build/testvm/vmlinuz" ] && [ -s "$ROOT/build/testvm/initramfs.gz" ]
}

# wait_for FILE: up to 120 s for FILE to have something in it.
wait_for() {
	for _ in $(seq 120); do [ -s "$1" ] && return 0; sleep 1; done
	return 1
}

@test "from a terminal (tmux), the command sees terminals of the same size on stdout and stderr; --shell runs an interactive bash there" {
	command -v tmux >/dev/null || skip "tmux is not installed (apt-get install tmux)"
	S="testvm-$$"
	t=$BATS_TEST_TMPDIR
	tmux -L "$S" new-session -d -s main -x 100 -y 28 \
		"cd '$ROOT' && '$VM/run.sh' bash -c '[ -t 1 ] && echo out-tty; [ -t 2 ] && echo err-tty >&2; stty size <&1; exit 4'; echo \"EXIT=\$?\" > '$t/batch'; until [ -e '$t/seen' ]; do sleep 0.1; done; '$VM/run.sh' --shell; echo \"EXIT=\$?\" > '$t/shell'; sleep 600"
	wait_for "$t/batch"
	# The batch's screen, read before the shell starts (its start may redraw the pane).
	screen=$(tmux -L "$S" capture-pane -p -t main)
	touch "$t/seen"
	for _ in $(seq 120); do tmux -L "$S" capture-pane -p -t main | grep -q '^root@testvm:' && break; sleep 1; done
	tmux -L "$S" send-keys -t main 'echo "answer $((6 * 7))"; exit 9' Enter
	wait_for "$t/shell" || true
	shell=$(tmux -L "$S" capture-pane -p -t main)
	tmux -L "$S" kill-server
	printf 'the pane after the batch:\n%s\n' "$screen"	# shown if an assertion fails
	[ "$(cat "$t/batch")" = "EXIT=4" ]
	# Each stream is in order; the two are not ordered with each other.
	printf '%s\n' "$screen" | grep -qx 'out-tty'
	printf '%s\n' "$screen" | grep -qx 'err-tty'
	printf '%s\n' "$screen" | grep -qx '28 100'
	[ "$(cat "$t/shell")" = "EXIT=9" ]
	printf '%s\n' "$shell" | grep -qx 'answer 42'
}
