#!/usr/bin/env bats
# Confinement: the seccomp filter, the descriptors and mappings a running guest
# leaves the runner with, and the refusal to run set-uid.
load helpers

setup() { need_kvm; }

# Start a spinning guest in the background; $pid is kvmrun's.
spin() {
	"$KVMRUN" "$@" --timeout 20 "$G/spin.bin" > "$BATS_TEST_TMPDIR/out" 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do [ -s "$BATS_TEST_TMPDIR/out" ] && break; sleep 0.05; done
	[ -s "$BATS_TEST_TMPDIR/out" ]
}

stop_spin() {
	kill "$pid"
	wait "$pid" || true
}

@test "the seccomp filter is installed while a guest runs (Seccomp: 2), with no-new-privs" {
	spin
	status_file=$(cat "/proc/$pid/status")
	stop_spin
	[[ "$status_file" == *$'Seccomp:\t2'* ]]
	[[ "$status_file" == *$'NoNewPrivs:\t1'* ]]
}

@test "--no-sandbox runs without it (Seccomp: 0)" {
	spin --no-sandbox
	status_file=$(cat "/proc/$pid/status")
	stop_spin
	[[ "$status_file" == *$'Seccomp:\t0'* ]]
}

@test "a system call outside the filter kills kvmrun (SIGSYS); without the filter the same run works" {
	[ -f "$ROOT/tests/fakekvm.so" ] || skip "tests/fakekvm.so is not built: run make test"
	! grep -q __asan_init "$KVMRUN" || skip "a sanitizer build logs what the filter refuses (its leak checker needs those calls at exit)"
	run --separate-stderr env FAKEKVM_FORBIDDEN=1 LD_PRELOAD="$ROOT/tests/fakekvm.so" timeout $((30 * TIME_SCALE)) "$KVMRUN" "$ROOT/guest/hello.bin"
	[ "$status" -eq $((128 + 31)) ]
	[ "$output" = "" ]
	run -0 --separate-stderr env FAKEKVM_FORBIDDEN=1 LD_PRELOAD="$ROOT/tests/fakekvm.so" timeout $((30 * TIME_SCALE)) "$KVMRUN" --no-sandbox "$ROOT/guest/hello.bin"
	[ "$output" = "Hello from a kvmrun guest!" ]
}

@test "with and without the filter, output, errors and statuses are identical" {
	for args in "$ROOT/guest/hello.bin" "$G/bytes64k.bin" "--mode protected $G/prot_ud2.bin" \
		    "--mode long $G/long_mmio.bin" "--mode user $ROOT/guest/hello_c.elf" \
		    "--stats $G/unclaimed.bin" "--irqchip --mode long $G/long_apic.bin" \
		    "--append x $G/mb32_info.elf32"; do
		# shellcheck disable=SC2086
		timeout $((30 * TIME_SCALE)) "$KVMRUN" $args > "$BATS_TEST_TMPDIR/a.out" 2> "$BATS_TEST_TMPDIR/a.err" < /dev/null && sa=0 || sa=$?
		# shellcheck disable=SC2086
		timeout $((30 * TIME_SCALE)) "$KVMRUN" --no-sandbox $args > "$BATS_TEST_TMPDIR/b.out" 2> "$BATS_TEST_TMPDIR/b.err" < /dev/null && sb=0 || sb=$?
		[ "$sa" -eq "$sb" ]
		cmp "$BATS_TEST_TMPDIR/a.out" "$BATS_TEST_TMPDIR/b.out"
		# --stats timings differ from run to run: compare all but them.
		diff <(grep -v 'time in KVM_RUN' "$BATS_TEST_TMPDIR/a.err") <(grep -v 'time in KVM_RUN' "$BATS_TEST_TMPDIR/b.err")
	done
}

@test "while a guest runs, kvmrun holds stdin, stdout, stderr and the VCPU, nothing else: no /dev/kvm, no VM fd, no guest file" {
	spin
	fds=$(for f in /proc/$pid/fd/*; do readlink "$f"; done | sort | tr '\n' ' ')
	nfds=$(ls /proc/$pid/fd | wc -l)
	stop_spin
	[[ "$fds" == *"anon_inode:kvm-vcpu:0"* ]]
	[[ "$fds" != *"/dev/kvm"* ]]
	[[ "$fds" != *"kvm-vm"* ]]
	[[ "$fds" != *"spin.bin"* ]]
	[ "$nfds" -eq 4 ]
}

@test "guest RAM is never executable on the host" {
	spin --mem 64
	maps=$(cat "/proc/$pid/maps")
	stop_spin
	# The 64 MiB mapping of guest RAM: read-write, private, not executable.
	ram=$(awk '{ split($1, a, "-"); if (strtonum("0x" a[2]) - strtonum("0x" a[1]) == 67108864) print $2 }' <<< "$maps" 2>/dev/null || true)
	if [ -z "$ram" ]; then
		ram=$(python3 -c 'import sys
for l in sys.stdin:
    a, b = l.split()[0].split("-")
    if int(b, 16) - int(a, 16) == 64 << 20: print(l.split()[1])' <<< "$maps")
	fi
	[ "$ram" = "rw-p" ]
}

@test "kvmrun refuses to run set-uid" {
	command -v setpriv > /dev/null || skip "setpriv (util-linux) is not installed"
	[ "$(id -u)" -eq 0 ] || skip "making a set-uid copy needs root"
	dir=$(mktemp -d /tmp/kvmrun-suid.XXXXXX)
	chmod 755 "$dir"
	cp "$KVMRUN" "$dir/kvmrun"
	chmod 4755 "$dir/kvmrun"
	run --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups timeout $((30 * TIME_SCALE)) "$dir/kvmrun" "$ROOT/guest/hello.bin"
	rm -rf "$dir"
	[ "$status" -eq 102 ]
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: refusing to run set-uid or set-gid; give your user access to /dev/kvm (the kvm group) instead" ]
}
