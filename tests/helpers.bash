# Shared by every tests/*.bats file: load helpers
bats_require_minimum_version 1.5.0

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
KVMRUN="${KVMRUN:-$ROOT/kvmrun}"	# make check-asan runs the suite on a sanitizer build
G="$ROOT/tests/guests"
USAGE="usage: kvmrun [OPTIONS] GUEST (kvmrun --help lists the options)"
export ROOT KVMRUN G USAGE

# Tests that start a VM call this first: no KVM means a loud skip, not a mystery.
need_kvm() {
	[ -e /dev/kvm ] || skip "no /dev/kvm on this machine: load the KVM module (kvm_intel/kvm_amd) to run this test"
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not readable and writable by $(id -un): add the user to the kvm group"
}

# Every kvmrun run sits under an outer timeout so a hang fails fast.
# stdin is /dev/null unless the test redirects it.
kvmrun() {
	timeout -k 2 30 "$KVMRUN" "$@"
}
