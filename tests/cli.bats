#!/usr/bin/env bats
# The command line: options, their values, the GUEST operand, --help and
# --version, and what -v and --stats print. Every value error is found while
# parsing, before the guest file or /dev/kvm is opened, so only the tests
# that start a VM call need_kvm.

load helpers

HELLO="$ROOT/guest/hello.bin"
GREETING="Hello from a kvmrun guest!"

# expect_usage MESSAGE ARGS...: kvmrun ARGS fails with status 2, prints
# nothing on stdout and exactly one line on stderr: "kvmrun: MESSAGE; USAGE".
expect_usage() {
	local msg=$1
	shift
	run -2 --separate-stderr kvmrun "$@"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: $msg; $USAGE" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

# expect_hello ARGS...: the hello guest runs to its HLT: status 0, the
# greeting on stdout, nothing on stderr.
expect_hello() {
	run -0 --separate-stderr kvmrun "$@"
	[ "$output" = "$GREETING" ]
	[ "$stderr" = "" ]
}

# need_guest FILE: a test guest built by `make test`; fail loudly if missing.
need_guest() {
	[ -f "$1" ] || {
		echo "$1 is missing: build it with make ${1#"$ROOT"/}" >&2
		return 1
	}
}

# ---- --help, --version ----

@test "--help: the usage line first, every option, the exit-status table; status 0" {
	run -0 --separate-stderr kvmrun --help
	[ "$stderr" = "" ]
	[ "${lines[0]}" = "usage: kvmrun [OPTIONS] GUEST" ]
	local opt
	for opt in "-m, --mem SIZE" "-e, --entry ADDR" "-M, --mode MODE" "-t, --timeout SECS" \
		   "-s, --stats" "-v, --verbose" "-h, --help" "-V, --version"; do
		printf '%s\n' "$output" | grep -q -- "^  $opt  " || {
			echo "--help does not list '$opt'" >&2
			return 1
		}
	done
	printf '%s\n' "$output" | grep -qx -- "  124      --timeout expired"
	# Every exit status kvm.h names has its row in the table.
	local st
	for st in 0 1-255 $(sed -n 's/^\tEXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$ROOT/kvm.h" | sed 's/^128$/128+N/'); do
		printf '%s\n' "$output" | grep -q -- "^  $st  *[a-z-]" || {
			echo "--help has no exit-status row for $st" >&2
			return 1
		}
	done
}

@test "-h prints the same help as --help" {
	run -0 --separate-stderr kvmrun --help
	local long=$output
	run -0 --separate-stderr kvmrun -h
	[ "$stderr" = "" ]
	[ "$output" = "$long" ]
	[ "${lines[0]}" = "usage: kvmrun [OPTIONS] GUEST" ]
}

@test "--version and -V print 'kvmrun' and kvm.h's KVMRUN_VERSION" {
	local version
	version=$(make -s --no-print-directory -C "$ROOT" version)
	[ -n "$version" ]
	run -0 --separate-stderr kvmrun --version
	[ "$output" = "kvmrun $version" ]
	[ "$stderr" = "" ]
	run -0 --separate-stderr kvmrun -V
	[ "$output" = "kvmrun $version" ]
	[ "$stderr" = "" ]
}

# ---- usage errors ----

@test "unknown long option --bogus: status 2, one line naming it" {
	expect_usage "unknown option '--bogus'" --bogus "$HELLO"
}

@test "unknown short option -x: status 2, one line naming it" {
	expect_usage "unknown option '-x'" -x "$HELLO"
}

@test "--mem at the end without its value: status 2" {
	expect_usage "option '--mem' needs a value" "$HELLO" --mem
}

@test "-m at the end without its value: status 2" {
	expect_usage "option '-m' needs a value" "$HELLO" -m
}

@test "-sm at the end: the message names -m, not the bundle '-sm'" {
	expect_usage "option '-m' needs a value" "$HELLO" -sm
}

@test "--stats=yes: a value given to an option that takes none is not an 'unknown option -s'" {
	expect_usage "option '--stats' takes no value" --stats=yes "$HELLO"
}

@test "--help=1: takes no value either" {
	expect_usage "option '--help' takes no value" --help=1 "$HELLO"
}

@test "--bogus=3: the unknown option is named without its value" {
	expect_usage "unknown option '--bogus'" --bogus=3 "$HELLO"
}

# getopt_long accepts unambiguous abbreviations (--me 16 is --mem 16), so an
# error in one must name the option, not call the abbreviation unknown.
@test "--me at the end, an abbreviation of --mem: 'option --mem needs a value'" {
	expect_usage "option '--mem' needs a value" "$HELLO" --me
}

@test "--stat=yes, an abbreviation of --stats: 'option --stats takes no value'" {
	expect_usage "option '--stats' takes no value" --stat=yes "$HELLO"
}

@test "--me 16, an unambiguous abbreviation of --mem, is accepted" {
	need_kvm
	run -0 --separate-stderr kvmrun --me 16 -v "$HELLO"
	[ "$output" = "$GREETING" ]
	[ "${stderr_lines[1]}" = "kvmrun: RAM 16384 KiB (0x1000000 bytes) in one slot at guest-physical 0x0" ]
}

@test "no GUEST: status 2" {
	expect_usage "no GUEST given"
}

@test "no GUEST after options: status 2" {
	expect_usage "no GUEST given" --mem 16 -v
}

@test "two GUESTs: status 2, the message names both" {
	expect_usage "one GUEST only, but 'second.bin' follows 'first.bin'" first.bin second.bin
}

@test "-- ends the options: a GUEST named '-x' is a file name" {
	run -104 --separate-stderr kvmrun -- -x
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: guest '-x' does not exist; check the path" ]
}

# ---- --mem ----

@test "--mem 0: zero" {
	expect_usage "--mem '0': zero" --mem 0 "$HELLO"
}

@test "--mem -1: negative" {
	expect_usage "--mem '-1': negative" --mem -1 "$HELLO"
}

@test "--mem abc: not a number" {
	expect_usage "--mem 'abc': not a number" --mem abc "$HELLO"
}

@test "--mem 16X: an unknown unit" {
	expect_usage "--mem '16X': trailing garbage after the number (use K, M, G or T)" --mem 16X "$HELLO"
}

@test "--mem 16MB: garbage after the unit" {
	expect_usage "--mem '16MB': trailing garbage after the unit" --mem 16MB "$HELLO"
}

@test "--mem 99999999999999999999: too large for 64 bits" {
	expect_usage "--mem '99999999999999999999': too large" --mem 99999999999999999999 "$HELLO"
}

@test "--mem 4097K: not a multiple of 4K" {
	expect_usage "--mem '4097K': not a multiple of 4K" --mem 4097K "$HELLO"
}

@test "--mem 1T: more than the 512G maximum" {
	expect_usage "--mem '1T': more than kvmrun's maximum of 512G" --mem 1T "$HELLO"
}

@test "--mem '': empty" {
	expect_usage "--mem '': empty" --mem "" "$HELLO"
}

@test "--mem= (empty after =): empty" {
	expect_usage "--mem '': empty" --mem= "$HELLO"
}

@test "--mem accepts 16, 16M, 16384K and 1G, and gives the guest that much RAM" {
	need_kvm
	local spelling kib
	for spelling in 16 16M 16384K 1G; do
		expect_hello --mem "$spelling" "$HELLO"
		[ "$spelling" = 1G ] && kib=1048576 || kib=16384
		run -0 --separate-stderr kvmrun -v --mem "$spelling" "$HELLO"
		[ "$output" = "$GREETING" ]
		[ "${stderr_lines[1]}" = "kvmrun: RAM $kib KiB ($(printf '0x%x' $((kib * 1024))) bytes) in one slot at guest-physical 0x0" ]
	done
}

# ---- --entry ----

@test "--entry zz: not a number" {
	expect_usage "--entry 'zz': not a number" --entry zz "$HELLO"
}

@test "--entry 0xg: not a number" {
	expect_usage "--entry '0xg': not a number" --entry 0xg "$HELLO"
}

@test "--entry -5: negative" {
	expect_usage "--entry '-5': negative" --entry -5 "$HELLO"
}

@test "--entry outside RAM (--mem 1 --entry 0x200000): status 2" {
	expect_usage "--entry 0x200000 is outside RAM (0x0-0xfffff); raise --mem or lower --entry" \
		--mem 1 --entry 0x200000 "$HELLO"
}

@test "--entry 0x100000 in real mode: beyond real mode's reach, status 2" {
	expect_usage "--entry 0x100000 is beyond real mode's reach (below 0x100000); lower --entry or choose --mode protected or long" \
		--mem 16 --entry 0x100000 "$HELLO"
}

@test "--entry 0x100000000 in protected mode with --mem 8G: beyond its reach, status 2" {
	expect_usage "--entry 0x100000000 is beyond protected mode's reach (below 4 GiB); lower --entry or choose --mode long" \
		--mode protected --mem 8G --entry 0x100000000 "$HELLO"
}

@test "--entry 0x7c00 and 0x20000 in real mode: hello loads and runs there" {
	need_kvm
	expect_hello --entry 0x7c00 "$HELLO"
	expect_hello --entry 0x20000 "$HELLO"
	expect_hello --entry 32768 "$HELLO"
	run -0 --separate-stderr kvmrun -v --entry 0x20000 "$HELLO"
	[ "${stderr_lines[4]}" = "kvmrun: entry registers: cs 2000:0 (base 0x20000) ss 1000:0 rflags 2" ]
}

# ---- --mode ----

@test "--mode bogus: status 2" {
	expect_usage "--mode 'bogus': not one of real, protected, long, user" --mode bogus "$HELLO"
}

@test "--mode Real: mode words are lower case" {
	expect_usage "--mode 'Real': not one of real, protected, long, user" -M Real "$HELLO"
}

@test "--mode long with too little RAM for its page tables: status 2" {
	expect_usage "long mode needs RAM up to 0x8000 for its tables; raise --mem" \
		--mode long --mem 16K --entry 0x100 "$HELLO"
}

@test "--mode real runs the real-mode hello guest" {
	need_kvm
	expect_hello --mode real "$HELLO"
}

@test "--mode protected runs the protected-mode guest (P, CR0.PE 1, CS 0x08)" {
	need_kvm
	need_guest "$G/prot_mode.bin"
	run -0 --separate-stderr kvmrun --mode protected "$G/prot_mode.bin"
	[ "$output" = "P18" ]
	[ "$stderr" = "" ]
}

@test "--mode long (-M long) runs the long-mode guest, which exits 42" {
	need_kvm
	need_guest "$G/long_mode.bin"
	run -42 --separate-stderr kvmrun -M long "$G/long_mode.bin"
	[ "$output" = "L11" ]
	[ "$stderr" = "" ]
}

# ---- --timeout ----

@test "--timeout abc: not a number" {
	expect_usage "--timeout 'abc': not a number" --timeout abc "$HELLO"
}

@test "--timeout -1: negative" {
	expect_usage "--timeout '-1': negative" --timeout -1 "$HELLO"
}

@test "--timeout 0: zero" {
	expect_usage "--timeout '0': zero" --timeout 0 "$HELLO"
}

@test "--timeout 0.0: zero" {
	expect_usage "--timeout '0.0': zero" --timeout 0.0 "$HELLO"
}

@test "--timeout 1e3: no exponents" {
	expect_usage "--timeout '1e3': trailing garbage after the number" --timeout 1e3 "$HELLO"
}

@test "--timeout '': empty" {
	expect_usage "--timeout '': empty" --timeout "" "$HELLO"
}

@test "--timeout 0.2 accepts a fraction and stops a spinning guest with status 124" {
	need_kvm
	printf '\xeb\xfe' >"$BATS_TEST_TMPDIR/spin.bin"	# jmp . (forever)
	run -124 --separate-stderr kvmrun --timeout 0.2 "$BATS_TEST_TMPDIR/spin.bin"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: guest still running after 0.2 s (--timeout); stopped it" ]
}

# ---- -v, --stats ----

@test "-v: the setup and the outcome on stderr, every line 'kvmrun: '; stdout untouched" {
	need_kvm
	local size last line
	size=$(stat -c %s "$HELLO")
	last=$(printf '0x%x' $((0x10000 + size - 1)))
	run -0 --separate-stderr kvmrun -v "$HELLO"
	[ "$output" = "$GREETING" ]
	[ "${stderr_lines[0]}" = "kvmrun: KVM API version 12 on /dev/kvm" ]
	[ "${stderr_lines[1]}" = "kvmrun: RAM 16384 KiB (0x1000000 bytes) in one slot at guest-physical 0x0" ]
	[ "${stderr_lines[2]}" = "kvmrun: guest '$HELLO': flat, $size bytes at 0x10000-$last, real mode, entry 0x10000" ]
	[ "${stderr_lines[3]}" = "kvmrun: interrupt controllers and PIT absent: HLT ends the run" ]
	[ "${stderr_lines[4]}" = "kvmrun: entry registers: cs 1000:0 (base 0x10000) ss 0000:0 rflags 2" ]
	[[ "${stderr_lines[5]}" == "kvmrun: entry registers: ds 1000 "* ]]
	[ "${stderr_lines[-1]}" = "kvmrun: guest halted; exit status 0" ]
	[ "${#stderr_lines[@]}" -eq 7 ]
	for line in "${stderr_lines[@]}"; do
		[[ "$line" == "kvmrun: "* ]]
	done
}

@test "--verbose is -v" {
	need_kvm
	run -0 --separate-stderr kvmrun --verbose "$HELLO"
	[ "$output" = "$GREETING" ]
	[ "${stderr_lines[0]}" = "kvmrun: KVM API version 12 on /dev/kvm" ]
	[ "${stderr_lines[-1]}" = "kvmrun: guest halted; exit status 0" ]
}

@test "--stats: exits by reason and port on stderr, stdout unchanged" {
	need_kvm
	local n=$((${#GREETING} + 1))	# the greeting and its newline, one OUT each
	run -0 --separate-stderr kvmrun --stats "$HELLO"
	[ "$output" = "$GREETING" ]
	# hello polls LSR once per byte, writes it, then halts.
	[ "${stderr_lines[0]}" = "kvmrun: stats: $((2 * n + 1)) exits" ]
	[ "${stderr_lines[1]}" = "$(printf 'kvmrun: stats:   %-16s %12d' IO $((2 * n)))" ]
	[ "${stderr_lines[2]}" = "$(printf 'kvmrun: stats:   %-16s %12d' HLT 1)" ]
	[ "${stderr_lines[3]}" = "$(printf 'kvmrun: stats:   port 0x03f8 out %12d  COM1' $n)" ]
	[ "${stderr_lines[4]}" = "$(printf 'kvmrun: stats:   port 0x03fd in  %12d  COM1' $n)" ]
	[[ "${stderr_lines[5]}" =~ ^kvmrun:\ stats:\ time\ in\ KVM_RUN\ [0-9]+\.[0-9]{6}\ s\ of\ [0-9]+\.[0-9]{6}\ s\ total\ \([0-9]+\.[0-9]%\)\;\ setup\ [0-9]+\.[0-9]{6}\ s$ ]]
	[ "${#stderr_lines[@]}" -eq 6 ]
}

@test "-s counts accesses to ports with no device" {
	need_kvm
	# in al, 0x80; out 0x80, al; out 0x80, al; hlt  (port 0x80 has no device)
	printf '\xe4\x80\xe6\x80\xe6\x80\xf4' >"$BATS_TEST_TMPDIR/port80.bin"
	run -0 --separate-stderr kvmrun -s "$BATS_TEST_TMPDIR/port80.bin"
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "kvmrun: stats: 4 exits" ]
	[ "${stderr_lines[3]}" = "$(printf 'kvmrun: stats:   port 0x0080 in  %12d  (no device)' 1)" ]
	[ "${stderr_lines[4]}" = "$(printf 'kvmrun: stats:   port 0x0080 out %12d  (no device)' 2)" ]
	[ "${stderr_lines[5]}" = "kvmrun: stats: 3 accesses to ports with no device" ]
	[ "${#stderr_lines[@]}" -eq 7 ]
}

@test "an abbreviation of two options is called ambiguous" {
	run -2 --separate-stderr kvmrun --m 16 "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: option '--m' is ambiguous: it begins more than one option; $USAGE" ]
}

# ---- GNU permutation ----

@test "options after the operand apply: kvmrun GUEST --mem 32 -v" {
	need_kvm
	expect_hello "$HELLO" --mem 32
	run -0 --separate-stderr kvmrun "$HELLO" --mem 32 -v
	[ "$output" = "$GREETING" ]
	[ "${stderr_lines[1]}" = "kvmrun: RAM 32768 KiB (0x2000000 bytes) in one slot at guest-physical 0x0" ]
}

@test "a bad value after the operand is still a usage error" {
	expect_usage "--mem '0': zero" "$HELLO" --mem 0
}
