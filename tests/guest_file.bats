#!/usr/bin/env bats
# The GUEST operand: files that cannot be used end with status 104
# (EXIT_BAD_GUEST), one line on stderr and nothing on stdout. The file is
# opened and checked before /dev/kvm, so only the tests that start a VM call
# need_kvm. Fixtures are made here, in $BATS_TEST_TMPDIR.

load helpers

# expect_bad_guest MESSAGE ARGS...: status 104, empty stdout, stderr exactly
# "kvmrun: MESSAGE".
expect_bad_guest() {
	local msg=$1
	shift
	run -104 --separate-stderr kvmrun "$@"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: $msg" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

# The long-mode test guest, built by `make test`: fail loudly if missing.
need_guest_long() {
	[ -f "$G/long_mode.bin" ] || {
		echo "$G/long_mode.bin is missing: build it with make tests/guests/long_mode.bin" >&2
		return 1
	}
}

# Real mode loads at 0x10000: with --mem 1 this many bytes reach the top of RAM.
ROOM_1M=$((0x100000 - 0x10000))

teardown() {
	if [ -n "${NOBODY_DIR:-}" ]; then
		rm -rf "$NOBODY_DIR"
	fi
}

@test "a missing file: 'does not exist'" {
	local f="$BATS_TEST_TMPDIR/missing.bin"
	expect_bad_guest "guest '$f' does not exist; check the path" "$f"
}

@test "a directory: 'is a directory'" {
	expect_bad_guest "guest '$BATS_TEST_TMPDIR' is a directory; name the image file inside it" "$BATS_TEST_TMPDIR"
}

@test "an empty file: 'is empty (0 bytes)'" {
	local f="$BATS_TEST_TMPDIR/empty.bin"
	: >"$f"
	expect_bad_guest "guest '$f' is empty (0 bytes); nothing to run" "$f"
}

@test "a FIFO: 'not a regular file', at once, without waiting for a writer" {
	local f="$BATS_TEST_TMPDIR/fifo"
	mkfifo "$f"
	expect_bad_guest "guest '$f' is not a regular file; save the image to a file first" "$f"
}

@test "/dev/null: 'not a regular file'" {
	expect_bad_guest "guest '/dev/null' is not a regular file; save the image to a file first" /dev/null
}

@test "an unreadable file: 'is not readable (Permission denied)'" {
	# root reads any file: run as nobody, from a world-readable directory
	# outside $BATS_TEST_TMPDIR, whose parents may be private.
	NOBODY_DIR=$(mktemp -d /tmp/kvmrun-guest-file.XXXXXX)
	chmod 0755 "$NOBODY_DIR"
	local f="$NOBODY_DIR/secret.bin"
	printf '\xf4' >"$f"
	chmod 0600 "$f"
	cp "$KVMRUN" "$NOBODY_DIR/kvmrun"
	chmod 0755 "$NOBODY_DIR/kvmrun"
	if [ "$(id -u)" -eq 0 ]; then
		run -104 --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups \
			timeout -k 2 $((30 * TIME_SCALE)) "$NOBODY_DIR/kvmrun" "$f"
	else
		chmod 0000 "$f"
		run -104 --separate-stderr timeout -k 2 $((30 * TIME_SCALE)) "$NOBODY_DIR/kvmrun" "$f"
	fi
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: guest '$f' is not readable (Permission denied); check its permissions" ]
}

@test "a path through a regular file: the open error, status 104" {
	local f="$BATS_TEST_TMPDIR/plain"
	printf '\xf4' >"$f"
	expect_bad_guest "cannot open guest '$f/guest.bin': Not a directory" "$f/guest.bin"
}

@test "one byte more than RAM holds from the load address: the sizes in the message" {
	local f="$BATS_TEST_TMPDIR/big.bin"
	head -c $((ROOM_1M + 1)) /dev/zero >"$f"
	expect_bad_guest "guest '$f': $((ROOM_1M + 1)) bytes do not fit in RAM from 0x10000 to its end at 0x100000 ($ROOM_1M bytes free); raise --mem or lower --entry" \
		--mem 1 "$f"
}

@test "too large from a given --entry: the free bytes count from the entry" {
	local f="$BATS_TEST_TMPDIR/page.bin"
	head -c 4097 /dev/zero >"$f"
	expect_bad_guest "guest '$f': 4097 bytes do not fit in RAM from 0xff000 to its end at 0x100000 (4096 bytes free); raise --mem or lower --entry" \
		--mem 1 --entry 0xff000 "$f"
}

@test "an image that exactly fills RAM to its top loads and runs (hlt, then zeroes)" {
	need_kvm
	local f="$BATS_TEST_TMPDIR/full.bin"
	printf '\xf4' >"$f"
	truncate -s "$ROOM_1M" "$f"
	run -0 --separate-stderr kvmrun --mem 1 "$f"
	[ "$output" = "" ]
	[ "$stderr" = "" ]
}

@test "an image that exactly fills RAM: its last byte lands in the last byte of RAM" {
	need_kvm
	local f="$BATS_TEST_TMPDIR/top.bin"
	# mov ax, 0xf000; mov es, ax; mov al, es:[0xffff]; out 0xf8, al
	# exits with the byte at 0xfffff, the top of 1 MiB of RAM: the file's last.
	printf '\xb8\x00\xf0\x8e\xc0\x26\xa0\xff\xff\xe6\xf8' >"$f"
	truncate -s $((ROOM_1M - 1)) "$f"
	printf '\x2a' >>"$f"
	run -42 --separate-stderr kvmrun --mem 1 "$f"
	[ "$output" = "" ]
	[ "$stderr" = "" ]
}

@test "a long-mode image over the runner's tables (--entry 0x1000): status 104" {
	local f="$BATS_TEST_TMPDIR/low.bin"
	head -c 64 /dev/zero >"$f"
	expect_bad_guest "guest '$f': the image at 0x1000-0x103f overlaps the runner's long-mode tables at 0x1000-0x7fff; load it at or above 0x8000 with --entry" \
		--mode long --entry 0x1000 "$f"
}

@test "a protected-mode image over the GDT: status 104, the GDT's own range" {
	local f="$BATS_TEST_TMPDIR/low.bin"
	head -c 64 /dev/zero >"$f"
	expect_bad_guest "guest '$f': the image at 0x1000-0x103f overlaps the runner's protected-mode tables at 0x1000-0x101f; load it at or above 0x1020 with --entry" \
		--mode protected --entry 0x1000 "$f"
}

@test "a long-mode image below the tables that reaches their first byte overlaps them" {
	need_guest_long
	local f="$BATS_TEST_TMPDIR/long.bin"
	cp "$G/long_mode.bin" "$f"
	truncate -s 4097 "$f"
	expect_bad_guest "guest '$f': the image at 0x0-0x1000 overlaps the runner's long-mode tables at 0x1000-0x7fff; load it at or above 0x8000 with --entry" \
		--mode long --entry 0 "$f"
}

@test "a long-mode image that ends just below the tables, or starts just above them, runs" {
	need_kvm
	need_guest_long
	local f="$BATS_TEST_TMPDIR/long.bin"
	cp "$G/long_mode.bin" "$f"
	truncate -s 4096 "$f"
	run -42 --separate-stderr kvmrun --mode long --entry 0 "$f"
	[ "$output" = "L11" ]
	[ "$stderr" = "" ]
	run -42 --separate-stderr kvmrun --mode long --entry 0x8000 "$f"
	[ "$output" = "L11" ]
	[ "$stderr" = "" ]
}
