#!/usr/bin/env bats
# The interactive console: stdin a terminal (tmux), raw input, QEMU's Ctrl-A
# escapes, and the terminal restored on every way out.
load helpers

setup() {
	need_kvm
	command -v tmux > /dev/null || skip "tmux is not installed: apt-get install tmux"
	S="kvmrun-test-$$-$BATS_TEST_NUMBER"
	D="$BATS_TEST_TMPDIR"
	tmux -L "$S" new-session -d -s main -x 120 -y 30 "env PS1='$ ' bash --norc --noprofile"
	shell 'stty -a > before.txt'
}

teardown() {
	tmux -L "$S" kill-server 2> /dev/null || true
}

# Type a command line in the pane's shell, in the test's directory.
shell() {
	tmux -L "$S" send-keys -t main "cd '$D' && $1" Enter
}

keys() {
	tmux -L "$S" send-keys -t main "$@"
}

pane() {
	tmux -L "$S" capture-pane -p -t main
}

# Wait until a file exists (a command in the pane finished), at most 10 s.
wait_file() {
	for _ in $(seq 200); do [ -s "$D/$1" ] && return 0; sleep 0.05; done
	echo "# no $1 after 10 s; the pane shows:" >&3
	pane | sed 's/^/# /' >&3
	return 1
}

# Wait until the pane shows a text, at most 10 s.
wait_pane() {
	for _ in $(seq 200); do pane | grep -qF -- "$1" && return 0; sleep 0.05; done
	echo "# the pane never showed '$1':" >&3
	pane | sed 's/^/# /' >&3
	return 1
}

# Wait until a line of the pane is exactly a text (trailing blanks trimmed), at most 10 s.
wait_line() {
	for _ in $(seq 200); do pane | grep -qx -- "$1" && return 0; sleep 0.05; done
	echo "# the pane never had the line '$1':" >&3
	pane | sed 's/^/# /' >&3
	return 1
}

run_guest() {
	shell "'$KVMRUN' $* 2> err.txt; echo \$? > status.txt; stty -a > after.txt"
}

@test "keys reach the guest one by one, Ctrl-C included; Ctrl-A x quits with 130; the terminal is as before" {
	wait_file before.txt
	run_guest "'$G/hexecho.bin'"
	sleep 0.3
	keys a b C-c
	wait_pane "61 62 03"
	keys C-a x
	wait_file status.txt
	wait_file after.txt
	[ "$(cat "$D/status.txt")" = "130" ]
	[ "$(cat "$D/err.txt")" = "kvmrun: quit (Ctrl-A x)" ]
	diff "$D/before.txt" "$D/after.txt"
}

@test "Ctrl-A Ctrl-A sends one Ctrl-A to the guest; Ctrl-A h prints help; the guest ends normally" {
	wait_file before.txt
	run_guest "'$G/hexecho.bin'"
	sleep 0.3
	keys C-a C-a
	wait_line "01"
	keys C-a h
	# The help goes to stderr, which this run sends to err.txt.
	for _ in $(seq 200); do grep -q "Ctrl-A h this help" "$D/err.txt" && break; sleep 0.05; done
	[ "$(tr -d '\r\n' < "$D/err.txt")" = "kvmrun: Ctrl-A x quit (status 130), Ctrl-A h this help, Ctrl-A Ctrl-A send Ctrl-A to the guest" ]
	keys q
	wait_file status.txt
	wait_file after.txt
	[ "$(cat "$D/status.txt")" = "0" ]
	pane | grep -qx "01 71"
	diff "$D/before.txt" "$D/after.txt"
}

@test "Ctrl-A x quits a guest that never reads its input" {
	wait_file before.txt
	run_guest "'$G/spin.bin'"
	wait_pane "spinning"
	keys C-a x
	wait_file status.txt
	[ "$(cat "$D/status.txt")" = "130" ]
	wait_file after.txt
	diff "$D/before.txt" "$D/after.txt"
}

@test "Ctrl-A x quits four CPUs spinning with interrupts off: status 130, the terminal as before" {
	wait_file before.txt
	run_guest "--cpus 4 --mode long --append s '$G/long_smp.bin'"
	wait_pane "total=00061a80"
	keys C-a x
	wait_file status.txt
	[ "$(cat "$D/status.txt")" = "130" ]
	[ "$(cat "$D/err.txt")" = "kvmrun: quit (Ctrl-A x)" ]
	wait_file after.txt
	diff "$D/before.txt" "$D/after.txt"
}

@test "the terminal is restored when SIGTERM, SIGHUP, a timeout or a fault ends the run" {
	wait_file before.txt
	run_guest "'$G/spin.bin'"
	wait_pane "spinning"
	pkill -TERM -f "$G/spin.bin"
	wait_file status.txt
	[ "$(cat "$D/status.txt")" = "143" ]
	wait_file after.txt
	diff "$D/before.txt" "$D/after.txt"
	rm -f "$D/status.txt" "$D/after.txt"

	run_guest "--timeout 0.5 '$G/spin.bin'"
	wait_file status.txt
	[ "$(cat "$D/status.txt")" = "124" ]
	wait_file after.txt
	diff "$D/before.txt" "$D/after.txt"
	rm -f "$D/status.txt" "$D/after.txt"

	run_guest "--mode protected '$G/prot_ud2.bin'"
	wait_file status.txt
	[ "$(cat "$D/status.txt")" = "100" ]
	wait_file after.txt
	diff "$D/before.txt" "$D/after.txt"
	rm -f "$D/status.txt" "$D/after.txt"

	run_guest "'$G/spin.bin'"
	wait_pane "spinning"
	pkill -HUP -f "$G/spin.bin"
	wait_file status.txt
	[ "$(cat "$D/status.txt")" = "129" ]
	wait_file after.txt
	diff "$D/before.txt" "$D/after.txt"
}

@test "the terminal is restored when stdout's reader goes away (EPIPE)" {
	wait_file before.txt
	shell "'$KVMRUN' '$G/flood.bin' 2> err.txt | head -c 100 > /dev/null; echo \${PIPESTATUS[0]} > status.txt; stty -a > after.txt"
	wait_file status.txt
	[ "$(cat "$D/status.txt")" = "141" ]
	wait_file after.txt
	diff "$D/before.txt" "$D/after.txt"
}
