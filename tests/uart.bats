#!/usr/bin/env bats
# COM1 as a polling 16550 driver sees it.
load helpers

setup() { need_kvm; }

@test "registers read back: scratch, LCR, MCR, divisor latch, IER; LSR, IIR, FCR, MSR sane" {
	run -0 --separate-stderr kvmrun "$G/uart_regs.bin"
	[ "$output" = "scr=a5 lsr=60 iir=01 fifo-iir=c1 lcr=03 mcr=0b dll=0c dlm=00 ier=05 msr=b0" ]
	[ "$stderr" = "" ]
}

@test "stdin through a pipe reaches the guest: an echo guest echoes a line" {
	run -0 --separate-stderr bash -c 'printf "hello, guest\n" | timeout $((30 * TIME_SCALE)) "$KVMRUN" "$G/echo.bin"'
	[ "$output" = "hello, guest" ]
	[ "$stderr" = "" ]
}

@test "stdin from a file works the same" {
	printf 'from a file\nignored\n' > "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr kvmrun "$G/echo.bin" < "$BATS_TEST_TMPDIR/in"
	[ "$output" = "from a file" ]
}

@test "after EOF, data-ready stays clear: the echo guest waits until --timeout" {
	run -124 --separate-stderr bash -c 'printf "abc" | timeout $((30 * TIME_SCALE)) "$KVMRUN" --timeout 0.5 "$G/echo.bin"'
	[ "$output" = "abc" ]
	[ "$stderr" = "kvmrun: guest still running after 0.5 s (--timeout); stopped it" ]
}

@test "stdin /dev/null: no data ever, LSR reads 0x60" {
	run -124 --separate-stderr kvmrun --timeout 0.3 "$G/echo.bin" < /dev/null
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: guest still running after 0.3 s (--timeout); stopped it" ]
}

@test "stdin closed: treated as EOF" {
	run -124 --separate-stderr bash -c 'timeout $((30 * TIME_SCALE)) "$KVMRUN" --timeout 0.3 "$G/echo.bin" <&-'
	[ "$output" = "" ]
}

@test "ports with no device read all ones and ignore writes; -v reports each once" {
	run -0 --separate-stderr kvmrun -v "$G/unclaimed.bin"
	[ "$output" = "ff ffff" ]
	[[ "$stderr" == *"kvmrun: port 0x80: 1-byte write of 0x12 ignored (no device; reported once)"* ]]
	[[ "$stderr" == *"kvmrun: port 0x80: 1-byte read returns all ones (no device; reported once)"* ]]
	[[ "$stderr" == *"kvmrun: port 0x2f8: 2-byte read returns all ones (no device; reported once)"* ]]
}

@test "ports with no device are silent without -v and counted by --stats" {
	run -0 --separate-stderr kvmrun --stats "$G/unclaimed.bin"
	[ "$output" = "ff ffff" ]
	[[ "$stderr" == *"kvmrun: stats:   port 0x0080 in             1  (no device)"* ]]
	[[ "$stderr" == *"kvmrun: stats:   port 0x0080 out            1  (no device)"* ]]
	[[ "$stderr" == *"kvmrun: stats:   port 0x02f8 in             1  (no device)"* ]]
	[[ "$stderr" != *"reported once"* ]]
}
