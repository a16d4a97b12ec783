#!/usr/bin/env bats
# --gdb: the GDB remote stub, driven by a real gdb in batch mode, by gdb on a
# pseudo-terminal (tests/gdbpty.py: Ctrl-C) and, for malformed input, by a raw
# client (tests/gdbraw.py).
load helpers

GG="$G/long_gdb.elf"
KL="$G/kit_locals.elf"	# a C guest of the kit's, with DWARF

# start_stub ARGS...: kvmrun --gdb 0 ARGS in the background; sets PORT and KPID.
start_stub() {
	OUT="$BATS_TEST_TMPDIR/out" ERR="$BATS_TEST_TMPDIR/err"
	timeout "$(limit 40)" env $TRAPS "$KVMRUN" --gdb 0 "$@" > "$OUT" 2> "$ERR" < /dev/null &
	KPID=$!
	gdb_port "$ERR"
}

# end_stub: wait for kvmrun; KSTATUS is its exit status.
end_stub() {
	KSTATUS=0
	wait "$KPID" || KSTATUS=$?
}

# start_unix SOCK ARGS...: kvmrun --gdb unix:SOCK ARGS in the background; sets
# KPID (its timeout's) and VPID (kvmrun's own) once kvmrun has made SOCK (a new
# file: a stale socket there is replaced).
start_unix() {
	local sock=$1 old
	shift
	OUT="$BATS_TEST_TMPDIR/out" ERR="$BATS_TEST_TMPDIR/err"
	old=$(stat -c '%i %z' "$sock" 2> /dev/null || true)	# inode and ctime: a reused inode number still differs
	timeout "$(limit 40)" bash -c 'echo $$ > "$0"; exec "$@"' "$BATS_TEST_TMPDIR/pid" \
		"$KVMRUN" --gdb "unix:$sock" "$@" > "$OUT" 2> "$ERR" < /dev/null &
	KPID=$!
	for _ in $(seq 1 600); do
		[ -S "$sock" ] && [ "$(stat -c '%i %z' "$sock")" != "$old" ] && VPID=$(cat "$BATS_TEST_TMPDIR/pid") && return 0
		sleep 0.05
	done
	cat "$ERR" >&2
	return 1
}

# dbg FILE CMDS...: gdb in batch mode on FILE (or "" for none), attached to
# the stub at TARGET (default: 127.0.0.1:PORT).
dbg() {
	local file=$1 args=()
	shift
	for c in "$@"; do args+=(-ex "$c"); done
	timeout "$(limit 40)" gdb -batch -nx -ex 'set confirm off' ${file:+"$file"} -ex "target remote ${TARGET:-127.0.0.1:$PORT}" \
		"${args[@]}"
}

setup_file() {
	lo_up
}

setup() {
	command -v gdb > /dev/null || skip "no gdb: apt-get install gdb"
}

# QEMU's TCG (the test host's CPU, helpers.bash) neither turns an INT3 into the
# #BP exception that KVM intercepts under SVM (it checks the software-interrupt
# intercept instead) nor arms the debug registers that VMRUN loads: breakpoints
# and watchpoints never reach kvmrun there. They run on a real CPU.
# Each breakpoint test runs twice: on the CPU as it is ("cpu"), skipped where it
# is TCG, and with tests/fakekvm.so emulating the traps ("emulated"), which
# every machine runs: there KVM single-steps the guest and the shim reports
# an int3 byte, a DRn address or a change of watched bytes as KVM would.
# TRAPS: what start_stub puts in kvmrun's environment.
TRAPS=
# traps cpu|emulated [int3|watch]: the second word says what of the CPU's a
# test needs that PVM's emulator of CPL 0 code lacks (seen on kvm_pvm: an
# INT3 is an emulation failure; a DR7 data watchpoint never fires; DR7
# execute breakpoints work).
traps() {
	need_kvm
	case $1 in
	cpu)
		! tcg_cpu || skip "QEMU TCG delivers neither INT3 to SVM's #BP intercept nor VMRUN's DR7 breakpoints"
		if pvm_host; then
			case ${2:-} in
			int3) skip "PVM emulates CPL 0 code, and its emulator fails on INT3 (KVM_EXIT_INTERNAL_ERROR)" ;;
			watch) skip "PVM emulates CPL 0 code, and its emulator does not fire DR7 data watchpoints" ;;
			esac
		fi
		;;
	emulated)
		[ -f "$ROOT/tests/fakekvm.so" ] || skip "tests/fakekvm.so is not built: run make tests/fakekvm.so"
		TRAPS="LD_PRELOAD=$ROOT/tests/fakekvm.so FAKEKVM_DEBUG_TRAPS=1" ;;
	esac
}

@test "gdb: --gdb and --gdb-wait refuse bad values with one line and status 2" {
	run -2 --separate-stderr "$KVMRUN" --gdb abc "$GG"
	[ "$stderr" = "kvmrun: --gdb 'abc': PORT is not a number; $USAGE" ]
	run -2 --separate-stderr "$KVMRUN" --gdb 70000 "$GG"
	[ "$stderr" = "kvmrun: --gdb '70000': PORT is above 65535; $USAGE" ]
	run -2 --separate-stderr "$KVMRUN" --gdb nohost:1234 "$GG"
	[ "$stderr" = "kvmrun: --gdb 'nohost:1234': HOST is not an IPv4 address; $USAGE" ]
	run -2 --separate-stderr "$KVMRUN" --gdb-wait "$GG"
	[ "$stderr" = "kvmrun: --gdb-wait needs --gdb [HOST:]PORT or unix:PATH; $USAGE" ]
	run -0 "$KVMRUN" --help
	[[ "$output" == *"--gdb [HOST:]PORT or --gdb unix:PATH"* ]]
}

@test "gdb: a port in use is refused with one line and status 102" {
	need_kvm
	python3 -c 'import socket, time, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1])); time.sleep(30)' "$BATS_TEST_TMPDIR/port" &
	local py=$!
	for _ in $(seq 1 100); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.05; done
	local p; p=$(cat "$BATS_TEST_TMPDIR/port")
	run -102 --separate-stderr timeout 20 "$KVMRUN" --gdb "$p" "$GG"
	kill "$py"
	[ "$stderr" = "kvmrun: --gdb 127.0.0.1:$p: cannot listen: Address already in use" ]
	[ "$output" = "" ]
}

# break_sw, break_hw, watch_write, foreign_int3: the breakpoint tests' bodies.
break_sw() {
	start_stub --gdb-wait "$GG"
	run dbg "$GG" 'break work' 'continue' 'print (int)counter' 'continue' 'print (int)counter' \
		'delete' 'continue'
	end_stub
	cat "$ERR"
	echo "$output"
	[[ "$output" == *"Breakpoint 1, 0x000000000010001c in work ()"* ]]
	[[ "$output" == *'$1 = 0'* ]]
	[[ "$output" == *'$2 = 1'* ]]
	[[ "$output" == *"[Inferior 1 (Remote target) exited with code 07]"* ]]
	[ "$KSTATUS" -eq 7 ]
	[ "$(cat "$OUT")" = "aaa" ]
}

break_hw() {
	start_stub --gdb-wait "$GG"
	run dbg "$GG" 'hbreak work' 'continue' 'print $pc' 'print (int)counter' 'delete' 'continue'
	end_stub
	cat "$ERR"
	echo "$output"
	[[ "$output" == *"Hardware assisted breakpoint 1 at 0x10001c"*"Breakpoint 1, 0x000000000010001c in work ()"* ]]
	[[ "$output" == *'(void (*)()) 0x10001c <work>'* ]]
	[[ "$output" == *"exited with code 07"* ]]
	[ "$KSTATUS" -eq 7 ]
	[ "$(cat "$OUT")" = "aaa" ]
}

watch_write() {
	start_stub --gdb-wait "$GG"
	run dbg "$GG" 'watch *(int *)&counter' 'continue' 'continue' 'delete' 'continue'
	end_stub
	cat "$ERR"
	echo "$output"
	[[ "$output" == *"Hardware watchpoint 1: *(int *)&counter"* ]]
	[[ "$output" == *"Old value = 0"*"New value = 1"*"Old value = 1"*"New value = 2"* ]]
	[ "$KSTATUS" -eq 7 ]
	[ "$(cat "$OUT")" = "aaa" ]
}

# The guest's own int3 reaches its own handler while gdb's breakpoints are armed.
foreign_int3() {
	! pvm_host || skip "PVM emulates CPL 0 code, and its emulator fails on the guest's own INT3 (KVM_EXIT_INTERNAL_ERROR), with gdb or without"
	run -5 --separate-stderr timeout 40 "$KVMRUN" "$G/long_int3.elf"
	[ "$output" = "aBc" ]
	start_stub --gdb-wait "$G/long_int3.elf"
	run dbg "$G/long_int3.elf" 'break last' 'continue' 'print $pc' 'delete' 'continue'
	end_stub
	cat "$ERR"
	echo "$output"
	[[ "$output" == *"Breakpoint 1, "*" in last ()"* ]]
	[[ "$output" == *"exited with code 05"* ]]
	[ "$KSTATUS" -eq 5 ]
	[ "$(cat "$OUT")" = "aBc" ]
}

# A C guest by its DWARF (the kit builds with -g): stop in a function, read an
# argument, an array through a pointer, the caller's local array, and the
# returned value and the local that holds it after finish.
c_locals() {
	start_stub --gdb-wait "$KL"
	run dbg "$KL" 'break sum_squares' 'continue' 'print n' 'print *v@n' 'up' 'print values' 'info locals' \
		'down' 'finish' 'next' 'print total' 'continue'
	end_stub
	cat "$ERR"
	echo "$output"
	# Code and stack addresses are the compiler's to choose: the lines and values are the source's.
	grep -Eqx 'Breakpoint 1 at 0x10[0-9a-f]{4}: file tests/guests/kit_locals.c, line 13\.' <<< "$output"
	grep -Eqx 'Breakpoint 1, sum_squares \(v=(v@entry=)?0x1[0-9a-f]{5}, n=(n@entry=)?4\) at tests/guests/kit_locals.c:13' \
		<<< "$output"
	grep -Fqx '$1 = 4' <<< "$output"
	grep -Fqx '$2 = {1, 2, 3, 4}' <<< "$output"
	grep -Eqx '#1  0x000000000010[0-9a-f]{4} in main \(\) at tests/guests/kit_locals.c:21' <<< "$output"
	grep -Fqx '$3 = {1, 2, 3, 4}' <<< "$output"
	grep -Fqx 'values = {1, 2, 3, 4}' <<< "$output"
	grep -Fqx 'Value returned is $4 = 30' <<< "$output"
	# next: past the printf, to the return, where total lives in a register again
	grep -Fqx '24		return total;' <<< "$output"
	grep -Fqx '$5 = 30' <<< "$output"
	grep -Fqx '[Inferior 1 (Remote target) exited with code 036]' <<< "$output"
	[ "$KSTATUS" -eq 30 ]
	[ "$(cat "$OUT")" = "sum of squares: 30" ]
}

@test "gdb: a C guest: break at a function, its arguments, the caller's locals, finish's value, the exit status (the CPU's debug traps)" {
	traps cpu int3
	c_locals
}

@test "gdb: a C guest: break at a function, its arguments, the caller's locals, finish's value, the exit status (debug traps emulated)" {
	traps emulated
	c_locals
}

@test "gdb: break at a function (int3), read a global, continue to the end: status unchanged (the CPU's debug traps)" {
	traps cpu int3
	break_sw
}

@test "gdb: break at a function (int3), read a global, continue to the end: status unchanged (debug traps emulated)" {
	traps emulated
	break_sw
}

@test "gdb: a hardware breakpoint stops at the function (the CPU's debug traps)" {
	traps cpu
	break_hw
}

@test "gdb: a hardware breakpoint stops at the function (debug traps emulated)" {
	traps emulated
	break_hw
}

@test "gdb: a write watchpoint fires after the write, with old and new values (the CPU's debug traps)" {
	traps cpu watch
	watch_write
}

@test "gdb: a write watchpoint fires after the write, with old and new values (debug traps emulated)" {
	traps emulated
	watch_write
}

@test "gdb: the guest's own int3 goes to the guest while breakpoints are armed (the CPU's debug traps)" {
	traps cpu int3
	foreign_int3
}

@test "gdb: the guest's own int3 goes to the guest while breakpoints are armed (debug traps emulated)" {
	traps emulated
	foreign_int3
}

@test "gdb: writing memory and a register changes what the guest prints and its status" {
	need_kvm
	start_stub --gdb-wait "$GG"
	run dbg "$GG" 'set var *(char *)&letter = 122' 'print/c *(char *)&letter' 'continue'
	end_stub
	cat "$ERR"
	echo "$output"
	[[ "$output" == *"122 'z'"* ]]
	[[ "$output" == *"exited with code 07"* ]]
	[ "$KSTATUS" -eq 7 ]
	[ "$(cat "$OUT")" = "zzz" ]
	start_stub --gdb-wait "$GG"
	run dbg "$GG" 'set var $pc = done' 'set var $rax = 9' 'info registers rax rip' 'continue'
	end_stub
	echo "$output"
	[[ "$output" == *"rip            0x100016            0x100016 <done>"* ]]
	[[ "$output" == *"exited with code 011"* ]]
	[ "$KSTATUS" -eq 9 ]
	[ "$(cat "$OUT")" = "" ]
}

@test "gdb: single-step goes one instruction, into the call" {
	need_kvm
	start_stub --gdb-wait "$GG"
	run dbg "$GG" 'print $pc' 'stepi' 'print $pc' 'stepi' 'print $pc' 'info registers rip' \
		'info registers cr0 cr4 efer' 'kill'
	end_stub
	cat "$ERR"
	echo "$output"
	# The long-mode entry state (README, "CPU state at entry"), read through the control feature.
	grep -Eq '^cr0 +0x80000011 ' <<< "$output"
	grep -Eq '^cr4 +0x20 ' <<< "$output"
	grep -Eq '^efer +0x500 ' <<< "$output"
	[[ "$output" == *'$1 = (void (*)()) 0x100000 <_start>'* ]]
	[[ "$output" == *'$2 = (void (*)()) 0x10001c <work>'* ]]
	[[ "$output" == *'$3 = (void (*)()) 0x100022 <work+6>'* ]]
	[ "$KSTATUS" -eq 137 ]
	[[ "$(cat "$ERR")" == *"kvmrun: killed from gdb (status 137)"* ]]
}

@test "gdb: Ctrl-C (0x03) stops a spinning guest; k ends the run with status 137" {
	need_kvm
	start_stub "$G/long_gdbspin.elf"
	run timeout 60 python3 "$ROOT/tests/gdbraw.py" "$PORT" <<-'EOF'
		send ?
		item
		item
		send vCont;c
		item
		raw \x03
		item
		send qC
		item
		item
		send k
		item
		item
	EOF
	end_stub
	cat "$ERR"
	echo "$output"
	[ "${lines[1]}" = "reply T05thread:01;" ]
	[ "${lines[2]}" = "+" ]
	[ "${lines[3]}" = "reply T02thread:01;" ]
	[ "${lines[5]}" = "reply QC1" ]
	[ "${lines[6]}" = "+" ]
	[ "${lines[7]}" = "eof" ]
	[ "$KSTATUS" -eq 137 ]
	[ "$(cat "$OUT")" = "s" ]
}

# gdb forwards Ctrl-C only from its terminal (batch mode without one sends no
# 0x03): gdb runs on a pseudo-terminal and Ctrl-C is typed there, once the
# stub has the continue (its trace, KVMRUN_GDB_TRACE, says so).
@test "gdb: Ctrl-C typed at gdb's terminal stops a spinning guest with SIGINT; kill ends the run with status 137" {
	need_kvm
	TRAPS=KVMRUN_GDB_TRACE=1 start_stub "$G/long_gdbspin.elf"
	run timeout "$(limit 90)" env GDBPTY_TIMEOUT="$(limit 20)" python3 "$ROOT/tests/gdbpty.py" -nx -q \
		-ex 'set confirm off' -ex 'set pagination off' "$G/long_gdbspin.elf" -ex "target remote 127.0.0.1:$PORT" <<-EOF
		expect (gdb)
		send continue
		wait $ERR gdb-trace: -> vCont;c
		intr
		expect (gdb)
		send kill
		expect (gdb)
		send quit
	EOF
	end_stub
	cat "$ERR"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -Fqx 'Program received signal SIGINT, Interrupt.' <<< "$output"
	grep -Fqx '0x0000000000100007 in spin ()' <<< "$output"
	grep -Fqx '[Inferior 1 (Remote target) killed]' <<< "$output"
	[ "$KSTATUS" -eq 137 ]
	[ "$(grep -v '^gdb-trace: ' "$ERR")" = "kvmrun: gdb: listening on 127.0.0.1:$PORT
kvmrun: killed from gdb (status 137)" ]
	[ "$(cat "$OUT")" = "s" ]
}

@test "gdb: --gdb unix:PATH: gdb attaches with target remote PATH (a stale socket replaced, mode 0600); the file goes with the run" {
	need_kvm
	local sock="$BATS_TEST_TMPDIR/gdb.sock"
	# What a killed kvmrun leaves: a socket file nobody accepts on.
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"
	[ -S "$sock" ]
	start_unix "$sock" --gdb-wait "$GG"
	[ "$(stat -c %a "$sock")" = 600 ]
	TARGET=$sock run dbg "$GG" 'stepi' 'print $pc' 'continue'
	end_stub
	cat "$ERR"
	echo "$output"
	grep -Fqx '0x0000000000100000 in _start ()' <<< "$output"
	grep -Fqx '$1 = (void (*)()) 0x10001c <work>' <<< "$output"
	grep -Fqx '[Inferior 1 (Remote target) exited with code 07]' <<< "$output"
	[ "$KSTATUS" -eq 7 ]
	[ "$(cat "$OUT")" = "aaa" ]
	[ "$(cat "$ERR")" = "" ]
	[ ! -e "$sock" ]
}

@test "gdb: --gdb unix:PATH: a run killed with SIGKILL leaves no socket file" {
	need_kvm
	local sock="$BATS_TEST_TMPDIR/gdb.sock"
	start_unix "$sock" --gdb-wait "$GG"
	kill -KILL "$VPID"	# kvmrun alone: the remover lives on, as after any SIGKILL
	end_stub
	[ "$KSTATUS" -eq 137 ]
	for _ in $(seq 1 40); do [ -e "$sock" ] || break; sleep 0.05; done
	[ ! -e "$sock" ]
}

@test "gdb: --gdb unix:PATH refuses a file, a live socket, a missing directory, a long or empty path: one line, status 2" {
	local f="$BATS_TEST_TMPDIR/file" long
	echo keep > "$f"
	run -2 --separate-stderr timeout 20 "$KVMRUN" --gdb "unix:$f" "$GG"
	[ "$stderr" = "kvmrun: --gdb 'unix:$f': exists and is not a socket; kvmrun replaces only a stale socket" ]
	[ "$output" = "" ]
	[ "$(cat "$f")" = keep ]
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(30)' "$BATS_TEST_TMPDIR/live" &
	local py=$!
	for _ in $(seq 1 100); do [ -S "$BATS_TEST_TMPDIR/live" ] && break; sleep 0.05; done
	run -2 --separate-stderr timeout 20 "$KVMRUN" --gdb "unix:$BATS_TEST_TMPDIR/live" "$GG"
	kill "$py"
	[ "$stderr" = "kvmrun: --gdb 'unix:$BATS_TEST_TMPDIR/live': in use: a program accepts connections there (another kvmrun?)" ]
	[ -S "$BATS_TEST_TMPDIR/live" ]
	run -2 --separate-stderr timeout 20 "$KVMRUN" --gdb "unix:$BATS_TEST_TMPDIR/none/gdb.sock" "$GG"
	[ "$stderr" = "kvmrun: --gdb 'unix:$BATS_TEST_TMPDIR/none/gdb.sock': cannot make the socket there: No such file or directory" ]
	long="/tmp/$(printf 'x%.0s' $(seq 1 104))"
	[ "${#long}" -eq 109 ]
	run -2 --separate-stderr timeout 20 "$KVMRUN" --gdb "unix:$long" "$GG"
	[ "$stderr" = "kvmrun: --gdb 'unix:$long': longer than 107 bytes, the most a UNIX socket's path may be" ]
	[ ! -e "$long" ]
	run -2 --separate-stderr timeout 20 "$KVMRUN" --gdb unix: "$GG"
	[ "$stderr" = "kvmrun: --gdb 'unix:': PATH is empty; $USAGE" ]
}

@test "gdb: the control socket's resume does not release a guest gdb holds" {
	need_kvm
	local sock="$BATS_TEST_TMPDIR/ctl.sock"
	start_stub --gdb-wait --control "$sock" "$GG"
	run -1 --separate-stderr timeout 20 "$KVMRUN" ctl "$sock" resume
	[ "$stderr" = "kvmrun: ctl: gdb holds the guest: continue it from gdb" ]
	run -0 --separate-stderr timeout 20 "$KVMRUN" ctl "$sock" status
	[[ "$output" == "state=paused "* ]]
	[ "$(cat "$OUT")" = "" ]
	run dbg "$GG" 'continue'
	end_stub
	echo "$output"
	[[ "$output" == *"exited with code 07"* ]]
	[ "$KSTATUS" -eq 7 ]
	[ "$(cat "$OUT")" = "aaa" ]
}

@test "gdb: a gdb that goes away lets the guest run on" {
	need_kvm
	start_stub --gdb-wait "$GG"
	run timeout 60 python3 "$ROOT/tests/gdbraw.py" "$PORT" <<-'EOF'
		send ?
		item
		item
	EOF
	end_stub
	[ "${lines[1]}" = "reply T05thread:01;" ]
	[ "$KSTATUS" -eq 7 ]
	[ "$(cat "$OUT")" = "aaa" ]
}

@test "gdb: a gdb that goes away while the guest runs leaves it running; SIGTERM still ends it" {
	need_kvm
	start_stub "$G/long_gdbspin.elf"
	run timeout 60 python3 "$ROOT/tests/gdbraw.py" "$PORT" <<-'EOF'
		send ?
		item
		item
		send vCont;c
		item
	EOF
	[ "${lines[2]}" = "+" ]
	sleep 1
	kill -0 "$KPID"
	kill -TERM "$KPID"
	end_stub
	cat "$ERR"
	[ "$KSTATUS" -eq 143 ]
	[[ "$(cat "$ERR")" == *"kvmrun: stopped by SIGTERM"* ]]
}

@test "gdb: detach lets the guest run to its end" {
	need_kvm
	start_stub --gdb-wait "$GG"
	run dbg "$GG" 'stepi' 'print $pc' 'detach'
	end_stub
	cat "$ERR"
	echo "$output"
	[[ "$output" == *"<work>"* ]]
	[[ "$output" == *"[Inferior 1 (Remote target) detached]"* ]]
	[ "$KSTATUS" -eq 7 ]
	[ "$(cat "$OUT")" = "aaa" ]
}

@test "gdb: two vCPUs are two threads" {
	need_kvm
	start_stub --gdb-wait --cpus 2 "$G/long_smp.elf"
	run dbg "" 'info threads' 'kill'
	end_stub
	cat "$ERR"
	echo "$output"
	[[ "$output" == *"* 1    Thread 1 "* ]]
	[[ "$output" == *"  2    Thread 2 "* ]]
	[ "$KSTATUS" -eq 137 ]
}

@test "gdb: a real-mode guest: registers in the 64-bit layout, IP as the program counter" {
	need_kvm
	start_stub --gdb-wait "$ROOT/guest/hello.bin"
	run dbg "" 'info registers rip cs' 'stepi' 'info registers rip' 'continue'
	end_stub
	cat "$ERR"
	echo "$output"
	[[ "$output" == *"rip            0x0 "* ]]
	[[ "$output" == *"cs             0x1000 "* ]]
	[[ "$output" == *"exited normally"* ]]
	[ "$KSTATUS" -eq 0 ]
	[ "$(cat "$OUT")" = "Hello from a kvmrun guest!" ]
}

@test "gdb: a Multiboot ELF32 kernel in protected mode: 64-bit registers, a step, its own status" {
	need_kvm
	run --separate-stderr timeout 40 "$KVMRUN" "$ROOT/guest/mbinfo.elf" < /dev/null
	local want=$status plain=$output
	start_stub --gdb-wait "$ROOT/guest/mbinfo.elf"
	run dbg "" 'info registers rax' 'stepi' 'continue'
	end_stub
	cat "$ERR"
	echo "$output"
	[[ "$output" == *"rax            0x2badb002 "* ]]
	[ "$KSTATUS" -eq "$want" ]
	[ "$(cat "$OUT")" = "$plain" ]
}

@test "gdb: X writes binary data ('}' escapes decoded), m reads it back; X with the wrong count or a dangling escape is E01, an untranslatable address E14, the empty probe OK" {
	need_kvm
	start_stub --gdb-wait "$GG"
	run timeout 60 python3 "$ROOT/tests/gdbraw.py" "$PORT" <<-'EOF'
		send X180000,0:
		item
		item
		send X180000,4:a}]bc
		item
		item
		send m180000,4
		item
		item
		send X180000,3:a}]
		item
		item
		send X180000,1:}
		item
		item
		send Xffffffff00000,1:a
		item
		item
		send D
		item
		item
	EOF
	echo "$output"
	end_stub
	[ "${lines[1]}" = "reply OK" ]
	[ "${lines[3]}" = "reply OK" ]
	[ "${lines[5]}" = "reply 617d6263" ]
	[ "${lines[7]}" = "reply E01" ]
	[ "${lines[9]}" = "reply E01" ]
	[ "${lines[11]}" = "reply E14" ]
	[ "${lines[13]}" = "reply OK" ]
	[ "$KSTATUS" -eq 7 ]
	[ "$(cat "$OUT")" = "aaa" ]
}

@test "gdb: raw packets: bad checksum, unknown and malformed commands, oversized packets" {
	need_kvm
	start_stub --gdb-wait "$GG"
	run timeout 60 python3 "$ROOT/tests/gdbraw.py" "$PORT" <<-'EOF'
		raw $g#00
		item
		send qFoo
		item
		item
		send m10000z,4
		item
		item
		send m100000,4
		item
		item
		send mffffffff00000,4
		item
		item
		send Z0,7ffffffff000,1
		item
		item
		send Z3,100030,4
		item
		item
		big 5000
		item
		item
		send ?
		item
		item
		send D
		item
		item
	EOF
	echo "$output"
	end_stub
	cat "$ERR"
	[ "${lines[0]}" = "-" ]
	[ "${lines[1]}" = "+" ]
	[ "${lines[2]}" = "reply " ]
	[ "${lines[4]}" = "reply E01" ]
	[ "${lines[6]}" = "reply e8170000" ]
	[ "${lines[8]}" = "reply E14" ]
	[ "${lines[10]}" = "reply E14" ]
	[ "${lines[12]}" = "reply " ]
	[ "${lines[13]}" = "+" ]
	[ "${lines[14]}" = "reply E01" ]
	[ "${lines[16]}" = "reply T05thread:01;" ]
	[ "${lines[18]}" = "reply OK" ]
	[ "$KSTATUS" -eq 7 ]
}
