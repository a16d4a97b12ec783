#!/usr/bin/env bats
# The control socket: --control PATH and its client, kvmrun ctl PATH COMMAND.
load helpers

CTL_USAGE="usage: kvmrun ctl PATH COMMAND [ARGS...] (kvmrun ctl PATH help lists the commands)"

setup() {
	S="$BATS_TEST_TMPDIR/ctl.sock"
	OUT="$BATS_TEST_TMPDIR/out"
	ERR="$BATS_TEST_TMPDIR/err"
	vm=
}

teardown() {
	if [ -n "$vm" ]; then kill -KILL "$vm" 2>/dev/null || true; fi
}

# start ARGS...: kvmrun --control $S ARGS in the background ($vm), its own
# --timeout the hang guard; returns when the socket is there.
start() {
	"$KVMRUN" --timeout "$(limit 60)" --control "$S" "$@" > "$OUT" 2> "$ERR" < /dev/null &
	vm=$!
	for _ in $(seq 400); do
		[ -S "$S" ] && return 0
		sleep 0.05
	done
	echo "# no socket at $S after 20 s" >&2
	return 1
}

# finish: wait for kvmrun; its status in $vm_status.
finish() {
	vm_status=0
	wait "$vm" || vm_status=$?
	vm=
}

ctl() {
	timeout "$(limit 20)" "$KVMRUN" ctl "$S" "$@"
}

nlines() {
	wc -l < "$OUT"
}

# wait_lines N: until the guest has printed at least N lines.
wait_lines() {
	local deadline=$(( $(date +%s) + $(limit 20) ))
	while [ "$(nlines)" -lt "$1" ]; do
		[ "$(date +%s)" -lt "$deadline" ] || { echo "# fewer than $1 lines after $(limit 20) s" >&2; return 1; }
		sleep 0.05
	done
}

# ticker_intact: the output is ticker.bin's count from 0000 without a gap or
# a repeat, possibly cut inside its last line.
ticker_intact() {
	python3 - "$OUT" <<-'EOF'
		import sys
		data = open(sys.argv[1], "rb").read()
		want = b"".join(b"%04x\n" % (i & 0xffff) for i in range(len(data) // 5 + 1))
		sys.exit(0 if data and want.startswith(data) else 1)
	EOF
}

# raw EXPR: send EXPR (a Python bytes expression) on a raw connection, print the reply.
raw() {
	timeout "$(limit 20)" python3 - "$S" "$1" <<-'EOF'
		import socket, sys
		s = socket.socket(socket.AF_UNIX)
		s.connect(sys.argv[1])
		try:
		    s.sendall(eval(sys.argv[2]))  # a bytes expression written by the test
		    s.shutdown(socket.SHUT_WR)  # the end of the request, newline or not
		except OSError:
		    pass
		got = b""
		while True:
		    try:
		        b = s.recv(65536)
		    except ConnectionResetError:
		        break
		    if not b:
		        break
		    got += b
		sys.stdout.write(got.decode())
	EOF
}

# ---- kvmrun ctl's own command line ----

@test "ctl: no PATH: usage, status 2" {
	run -2 --separate-stderr "$KVMRUN" ctl
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: ctl: no socket PATH given; $CTL_USAGE" ]
}

@test "ctl: no COMMAND: usage, status 2" {
	run -2 --separate-stderr "$KVMRUN" ctl "$S"
	[ "$stderr" = "kvmrun: ctl: no COMMAND given after '$S'; $CTL_USAGE" ]
}

@test "ctl: an unknown option: usage, status 2" {
	run -2 --separate-stderr "$KVMRUN" ctl --json "$S" status
	[ "$stderr" = "kvmrun: ctl: unknown option '--json'; $CTL_USAGE" ]
}

@test "ctl: a word with a newline would be two requests: usage, status 2" {
	run -2 --separate-stderr "$KVMRUN" ctl "$S" "$(printf 'status\nquit')"
	[ "${stderr_lines[0]}" = "kvmrun: ctl: 'status" ]
	[ "${stderr_lines[1]}" = "quit': a newline would end the request line; $CTL_USAGE" ]
}

@test "ctl --help: usage and the statuses on stdout, status 0" {
	run -0 --separate-stderr "$KVMRUN" ctl --help
	[ "${lines[0]}" = "$CTL_USAGE" ]
	[[ "$output" == *"3 no kvmrun answers at PATH."* ]]
	[ "$stderr" = "" ]
}

@test "ctl: no socket at PATH: one line, status 3" {
	run -3 --separate-stderr "$KVMRUN" ctl "$BATS_TEST_TMPDIR/nothing" status
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: ctl: cannot connect to '$BATS_TEST_TMPDIR/nothing': No such file or directory" ]
}

@test "ctl: a socket nobody serves: connection refused, status 3" {
	python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$S"
	run -3 --separate-stderr "$KVMRUN" ctl "$S" status
	[ "$stderr" = "kvmrun: ctl: cannot connect to '$S': Connection refused" ]
}

# ---- --control PATH: what it refuses (before any VM exists) ----

@test "--control: an existing regular file is refused, status 2, and left alone" {
	echo precious > "$S"
	run -2 --separate-stderr kvmrun --control "$S" "$ROOT/guest/hello.bin"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: --control '$S': exists and is not a socket; kvmrun replaces only a stale socket" ]
	[ "$(cat "$S")" = precious ]
}

@test "--control: a socket someone accepts on is refused, status 2" {
	python3 - "$S" > "$BATS_TEST_TMPDIR/listener" <<-'EOF' &
		import socket, sys, time
		s = socket.socket(socket.AF_UNIX)
		s.bind(sys.argv[1])
		s.listen(4)
		print("up", flush=True)
		time.sleep(30)
	EOF
	local py=$!
	for _ in $(seq 200); do [ -s "$BATS_TEST_TMPDIR/listener" ] && break; sleep 0.05; done
	run -2 --separate-stderr kvmrun --control "$S" "$ROOT/guest/hello.bin"
	kill "$py"
	[ "$stderr" = "kvmrun: --control '$S': in use: a program accepts connections there (another kvmrun?)" ]
}

@test "--control: a directory that does not exist, status 2" {
	run -2 --separate-stderr kvmrun --control "$BATS_TEST_TMPDIR/no/sock" "$ROOT/guest/hello.bin"
	[ "$stderr" = "kvmrun: --control '$BATS_TEST_TMPDIR/no/sock': cannot make the socket there: No such file or directory" ]
}

@test "--control: a path longer than a socket's, status 2" {
	local long
	long="$BATS_TEST_TMPDIR/$(printf 'x%.0s' $(seq 120))"
	run -2 --separate-stderr kvmrun --control "$long" "$ROOT/guest/hello.bin"
	[ "$stderr" = "kvmrun: --control '$long': longer than 107 bytes, the most a UNIX socket's path may be" ]
}

@test "--control with an empty PATH: usage, status 2" {
	run -2 --separate-stderr kvmrun --control "" "$ROOT/guest/hello.bin"
	[ "$stderr" = "kvmrun: --control '': empty; $USAGE" ]
}

# ---- serving ----

@test "--control: a stale socket (nobody accepts) is reused; the socket is gone after a normal end" {
	need_kvm
	python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$S"
	[ -S "$S" ]
	run -0 --separate-stderr kvmrun --control "$S" "$ROOT/guest/hello.bin"
	[ "$output" = "Hello from a kvmrun guest!" ]
	[ "$stderr" = "" ]
	[ ! -e "$S" ]
}

@test "the socket is 0600, and status answers state, uptime, vCPUs and RAM" {
	need_kvm
	start --cpus 2 --mem 32 "$G/ticker.bin"
	[ "$(python3 -c 'import os, sys; print(oct(os.stat(sys.argv[1]).st_mode & 0o777))' "$S")" = 0o600 ]
	run -0 --separate-stderr ctl status
	[[ "$output" =~ ^state=running\ uptime=[0-9]+\.[0-9]{3}\ cpus=2\ mem=33554432$ ]]
	[ "$stderr" = "" ]
	run -0 --separate-stderr ctl quit
	[ "$output" = "status=0" ]
	finish
	[ "$vm_status" -eq 0 ]
	[ "$(cat "$ERR")" = "kvmrun: quit through the control socket (status 0)" ]
	[ ! -e "$S" ]
}

@test "help lists every command" {
	need_kvm
	start "$G/ticker.bin"
	run -0 --separate-stderr ctl help
	[ "${#lines[@]}" -eq 8 ]
	[ "${lines[0]}" = "status            state (running, paused or stopping), seconds since start, vCPUs, RAM bytes" ]
	[ "${lines[1]}" = "stats             what --stats prints at exit, counted up to now" ]
	[ "${lines[2]}" = "pause             hold every vCPU out of guest code (the guest's clocks go on)" ]
	[ "${lines[3]}" = "resume            let the vCPUs run again" ]
	[ "${lines[4]}" = "balloon [SIZE]    the balloon's state; with SIZE (as --mem; 0: none), the RAM the guest is asked to give back" ]
	[ "${lines[5]}" = "quit [STATUS]     end the run now, with STATUS (0-255, default 0)" ]
	[ "${lines[6]}" = "snapshot FILE [--exit]  save the VM to FILE (kvmrun --restore FILE resumes it); with --exit, then end the run (status 0)" ]
	[ "${lines[7]}" = "help              this list" ]
	ctl quit > /dev/null
	finish
}

@test "stats: the --stats lines, counted up to now" {
	need_kvm
	start --stats "$G/ticker.bin"
	wait_lines 5
	run -0 --separate-stderr ctl stats
	[[ "${lines[0]}" =~ ^kvmrun:\ stats:\ [0-9]+\ exits$ ]]
	[[ "${lines[1]}" =~ ^kvmrun:\ stats:\ \ \ IO\ +[0-9]+$ ]]
	[[ "$output" == *"kvmrun: stats:   port 0x03f8 out "*"  COM1"* ]]
	[[ "${lines[-1]}" =~ ^kvmrun:\ stats:\ time\ in\ KVM_RUN\ [0-9.]+\ s\ of\ [0-9.]+\ s\ total\ \([0-9.]+%\)\;\ setup\ [0-9.]+\ s$ ]]
	for l in "${lines[@]}"; do [[ "$l" == "kvmrun: stats: "* ]]; done
	ctl quit > /dev/null
	finish
	[ "$vm_status" -eq 0 ]
}

@test "pause holds the guest, resume lets it go on, quit 7 ends with 7 and no line lost" {
	need_kvm
	start "$G/ticker.bin"
	wait_lines 10
	run -0 --separate-stderr ctl pause
	[ "$output" = "state=paused" ]
	[ "$stderr" = "" ]
	sleep 0.3	# the last lines reach stdout within a 10 ms tick
	local held
	held=$(nlines)
	sleep 1
	[ "$(nlines)" -eq "$held" ]
	run -0 ctl status
	[[ "$output" == "state=paused uptime="* ]]
	run -0 ctl pause	# again: still paused, no harm
	[ "$output" = "state=paused" ]
	run -0 --separate-stderr ctl resume
	[ "$output" = "state=running" ]
	wait_lines $((held + 10))
	run -0 --separate-stderr ctl quit 7
	[ "$output" = "status=7" ]
	finish
	[ "$vm_status" -eq 7 ]
	[ "$(cat "$ERR")" = "kvmrun: quit through the control socket (status 7)" ]
	ticker_intact
	[ ! -e "$S" ]
}

@test "pause and resume with 4 vCPUs" {
	need_kvm
	start --cpus 4 "$G/ticker.bin"
	wait_lines 5
	run -0 ctl pause
	[ "$output" = "state=paused" ]
	sleep 0.3
	local held
	held=$(nlines)
	sleep 0.5
	[ "$(nlines)" -eq "$held" ]
	run -0 ctl resume
	wait_lines $((held + 5))
	run -0 ctl quit 3
	finish
	[ "$vm_status" -eq 3 ]
	ticker_intact
}

@test "quit while paused ends the run with its status" {
	need_kvm
	start "$G/ticker.bin"
	run -0 ctl pause
	run -0 ctl quit 255
	[ "$output" = "status=255" ]
	finish
	[ "$vm_status" -eq 255 ]
	ticker_intact
}

@test "SIGTERM ends a paused run at once: 143, the socket gone" {
	need_kvm
	start "$G/ticker.bin"
	wait_lines 3
	run -0 ctl pause
	kill -TERM "$vm"
	finish
	[ "$vm_status" -eq 143 ]
	[ "$(cat "$ERR")" = "kvmrun: stopped by SIGTERM" ]
	ticker_intact
	[ ! -e "$S" ]
}

@test "--timeout counts paused time too: 124, the socket gone" {
	need_kvm
	# Long enough (scaled) that the pause is taken before it runs out on a loaded host.
	t=$(limit 3)
	"$KVMRUN" --timeout "$t" --control "$S" "$G/ticker.bin" > "$OUT" 2> "$ERR" < /dev/null &
	vm=$!
	for _ in $(seq 400); do [ -S "$S" ] && break; sleep 0.05; done
	run -0 ctl pause
	[ "$output" = "state=paused" ]
	finish
	[ "$vm_status" -eq 124 ]
	[ "$(cat "$ERR")" = "kvmrun: guest still running after $t s (--timeout); stopped it" ]
	[ ! -e "$S" ]
}

@test "malformed requests get an error each, and the guest runs on" {
	need_kvm
	start "$G/ticker.bin"
	wait_lines 3
	run -1 --separate-stderr ctl ""
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: ctl: empty request; try help" ]
	run -1 --separate-stderr ctl frobnicate now
	[ "$stderr" = "kvmrun: ctl: unknown command 'frobnicate'; try help" ]
	run -1 --separate-stderr ctl status now
	[ "$stderr" = "kvmrun: ctl: status takes no argument" ]
	run -1 --separate-stderr ctl quit 1 2
	[ "$stderr" = "kvmrun: ctl: quit takes at most one argument" ]
	run -1 --separate-stderr ctl quit 256
	[ "$stderr" = "kvmrun: ctl: quit '256': a status is 0 to 255" ]
	run -1 --separate-stderr ctl quit -1
	[ "$stderr" = "kvmrun: ctl: quit '-1': a status is 0 to 255" ]
	run -1 --separate-stderr ctl quit 0x7
	[ "$stderr" = "kvmrun: ctl: quit '0x7': a status is 0 to 255" ]
	run -1 --separate-stderr ctl balloon lots
	[ "$stderr" = "kvmrun: ctl: balloon 'lots': not a number" ]
	run -1 --separate-stderr ctl balloon 12Q
	[[ "$stderr" == "kvmrun: ctl: balloon '12Q': trailing garbage"* ]]
	run -1 --separate-stderr ctl "$(printf 'x%.0s' $(seq 5000))"
	[ "$stderr" = "kvmrun: ctl: request longer than 4096 bytes" ]
	# The same, and worse, on a raw connection.
	run -0 raw "b'x' * 5000 + b'\\n'"
	[ "$output" = "error request longer than 4096 bytes" ]
	run -0 raw "b'x' * 200000"
	[ "$output" = "error request longer than 4096 bytes" ]
	run -0 raw "b'sta\\x01tus\\n'"
	[ "$output" = "error the request holds a control character (0x01)" ]
	run -0 raw "b'sta\\x00tus\\n'"
	[ "$output" = "error the request holds a control character (0x00)" ]
	run -0 raw "b'\\n'"
	[ "$output" = "error empty request; try help" ]
	run -0 raw "b'   \\t \\n'"
	[ "$output" = "error empty request; try help" ]
	# A line of exactly 4096 bytes with its newline is a line.
	run -0 raw "b'status' + b' ' * 4089 + b'\\n'"
	[[ "$output" == "ok state=running uptime="* ]]
	# CRLF, tabs, and a request ended by the client's EOF instead of a newline.
	run -0 raw "b'status\\r\\n'"
	[[ "$output" == "ok state=running uptime="* ]]
	run -0 raw "b'\\tquit\\t\\t9x\\n'"
	[ "$output" = "error quit '9x': a status is 0 to 255" ]
	run -0 raw "b'status'"
	[[ "$output" == "ok state=running uptime="* ]]
	local before
	before=$(nlines)
	wait_lines $((before + 5))
	run -0 ctl quit
	finish
	[ "$vm_status" -eq 0 ]
	ticker_intact
}

@test "balloon without --device virtio-balloon: an error, with or without SIZE" {
	need_kvm
	start "$G/ticker.bin"
	run -1 --separate-stderr ctl balloon
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: ctl: no balloon: start kvmrun with --device virtio-balloon" ]
	run -1 --separate-stderr ctl balloon 4M
	[ "$stderr" = "kvmrun: ctl: no balloon: start kvmrun with --device virtio-balloon" ]
	ctl quit > /dev/null
	finish
}

@test "balloon SIZE sets the target and balloon reports it (--device virtio-balloon; the guest has no driver)" {
	need_kvm
	start --device virtio-balloon "$G/ticker.bin"
	run -0 --separate-stderr ctl balloon 4M
	[ "$output" = "target=4194304" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr ctl balloon
	[ "$output" = "target=4194304 actual=0 reported=0 released=0" ]
	run -0 ctl balloon 0
	[ "$output" = "target=0" ]
	# What the balloon refuses, it says why (devices/virtio_balloon.c words it).
	run -1 --separate-stderr ctl balloon 64M
	[[ "$stderr" == "kvmrun: ctl: balloon '64M': "?* ]]
	run -0 ctl quit
	finish
	[ "$vm_status" -eq 0 ]
	ticker_intact
}

@test "a client that says nothing stalls no other, and is told after 5 s" {
	need_kvm
	start "$G/ticker.bin"
	timeout "$(limit 20)" python3 - "$S" > "$BATS_TEST_TMPDIR/silent" <<-'EOF' &
		import socket, sys
		s = socket.socket(socket.AF_UNIX)
		s.connect(sys.argv[1])
		got = b""
		while True:
		    b = s.recv(4096)
		    if not b:
		        break
		    got += b
		sys.stdout.write(got.decode())
	EOF
	local silent=$! t0 t1
	sleep 0.5
	t0=$(date +%s%N)
	run -0 ctl status
	t1=$(date +%s%N)
	[[ "$output" == "state=running uptime="* ]]
	[ $(( (t1 - t0) / 1000000 )) -lt $((2000 * TIME_SCALE)) ]
	wait "$silent"
	[ "$(cat "$BATS_TEST_TMPDIR/silent")" = "error no request within 5 s" ]
	ctl quit > /dev/null
	finish
	[ "$vm_status" -eq 0 ]
}

@test "the socket is gone after a guest fault" {
	need_kvm
	run -100 --separate-stderr kvmrun --control "$S" --mode protected "$G/prot_ud2.bin"
	[ "$output" = "before" ]
	[ ! -e "$S" ]
}

@test "the socket is gone after --timeout" {
	need_kvm
	run -124 --separate-stderr kvmrun --control "$S" --timeout 0.5 "$G/spin.bin"
	[ "$stderr" = "kvmrun: guest still running after 0.5 s (--timeout); stopped it" ]
	[ ! -e "$S" ]
}

@test "the socket is gone after SIGINT" {
	need_kvm
	start "$G/spin.bin"
	# The socket exists before kvmrun's signal handlers; an answer comes after them
	# (and a background job of a script ignores SIGINT until kvmrun catches it).
	run -0 ctl status
	kill -INT "$vm"
	finish
	[ "$vm_status" -eq 130 ]
	[ ! -e "$S" ]
}

@test "after SIGKILL the socket is removed all the same, and the path serves again" {
	need_kvm
	start "$G/ticker.bin"
	kill -KILL "$vm"
	finish
	for _ in $(seq 100); do [ -e "$S" ] || break; sleep 0.05; done
	[ ! -e "$S" ]
	start "$G/ticker.bin"
	run -0 ctl quit 5
	finish
	[ "$vm_status" -eq 5 ]
}

@test "--no-sandbox serves the same" {
	need_kvm
	start --no-sandbox "$G/ticker.bin"
	run -0 ctl pause
	run -0 ctl resume
	run -0 ctl quit 9
	finish
	[ "$vm_status" -eq 9 ]
	ticker_intact
}
