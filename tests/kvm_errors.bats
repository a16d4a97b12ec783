# Host and KVM failures: each gets its one line on stderr, nothing on stdout,
# and status 102. Missing and foreign devices come from a private mount
# namespace, permissions from running as nobody, and the failures real
# hardware rarely shows from tests/fakekvm.so (an LD_PRELOAD ioctl shim).
load helpers

HELLO="$ROOT/guest/hello.bin"
FAKEKVM="$ROOT/tests/fakekvm.so"
EIO_TEXT="Input/output error"

setup() {
	[ -f "$HELLO" ] || skip "guest/hello.bin is not built: run make"
}

teardown() {
	if [ -n "${NOBODY_DIR:-}" ]; then
		rm -rf "$NOBODY_DIR"
	fi
}

# Tests that fake KVM failures: the real device, and the shim.
need_fakekvm() {
	need_kvm
	[ -f "$FAKEKVM" ] || skip "tests/fakekvm.so is not built: run make tests/fakekvm.so"
}

# kvmrun (the helpers' wrapper, with its outer timeout) with the shim loaded.
fakekvm() {
	LD_PRELOAD="$FAKEKVM" kvmrun "$@"
}

need_cc() {
	command -v "${CC:-cc}" >/dev/null || skip "no C compiler to read <linux/kvm.h> with"
}

# Private mount namespaces: skip, with the reason, where they are not allowed.
need_mount_ns() {
	command -v unshare >/dev/null || skip "unshare(1) is not installed"
	timeout $((30 * TIME_SCALE)) unshare -m sh -c 'mount -t tmpfs tmpfs /mnt' 2>/dev/null ||
		skip "cannot mount in a private mount namespace (unshare -m needs CAP_SYS_ADMIN)"
}

@test "the shim alone changes nothing: hello runs as without it" {
	need_fakekvm
	run -0 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "Hello from a kvmrun guest!" ]
	[ "$stderr" = "" ]
}

@test "/dev/kvm missing: load the module" {
	need_mount_ns
	run -102 --separate-stderr timeout $((30 * TIME_SCALE)) unshare -m sh -c \
		'mount -t tmpfs tmpfs /dev && exec "$0" "$@"' "$KVMRUN" "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: /dev/kvm: No such file or directory: load the KVM module (modprobe kvm_intel or kvm_amd) or enable virtualization in the firmware" ]
}

@test "/dev/kvm is not a KVM device (/dev/null bound over it)" {
	[ -e /dev/kvm ] || skip "no /dev/kvm to bind /dev/null over"
	need_mount_ns
	run -102 --separate-stderr timeout $((30 * TIME_SCALE)) unshare -m sh -c \
		'mount --bind /dev/null /dev/kvm && exec "$0" "$@"' "$KVMRUN" "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: /dev/kvm is not a KVM device (KVM_GET_API_VERSION: Inappropriate ioctl for device)" ]
}

@test "/dev/kvm permission denied: join the kvm group" {
	local bin="$KVMRUN" group
	[ -e /dev/kvm ] || skip "no /dev/kvm on this machine"
	command -v setpriv >/dev/null || skip "setpriv(1) is not installed"
	[ "$(id -u)" -eq 0 ] || skip "becoming nobody with setpriv needs root"
	group="$(id -gn nobody)" || skip "no user nobody"
	nobody() { timeout $((30 * TIME_SCALE)) setpriv --reuid=nobody --regid="$group" --clear-groups "$@"; }
	if nobody sh -c 'test -r /dev/kvm && test -w /dev/kvm'; then
		skip "/dev/kvm is readable and writable by nobody (mode $(stat -c %a /dev/kvm))"
	fi
	# The guest is read before /dev/kvm is opened: nobody must be able to read it.
	NOBODY_DIR="$(mktemp -d /tmp/kvmrun-nobody.XXXXXX)"
	chmod 755 "$NOBODY_DIR"
	cp "$HELLO" "$NOBODY_DIR/hello.bin"
	chmod 644 "$NOBODY_DIR/hello.bin"
	if ! nobody test -x "$bin"; then
		cp "$KVMRUN" "$NOBODY_DIR/kvmrun"
		bin="$NOBODY_DIR/kvmrun"
	fi
	run -102 --separate-stderr nobody "$bin" "$NOBODY_DIR/hello.bin"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: /dev/kvm: Permission denied: add your user to the kvm group (usermod -aG kvm USER) and log in again" ]
}

@test "KVM API version 11 is refused" {
	need_fakekvm
	FAKEKVM_API=11 run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: /dev/kvm speaks KVM API version 11; kvmrun needs version 12" ]
}

@test "missing KVM_CAP_IMMEDIATE_EXIT: use a newer kernel" {
	local cap
	need_fakekvm
	need_cc
	cap="$(cap_number KVM_CAP_IMMEDIATE_EXIT)"
	[ "$cap" -eq 136 ]
	FAKEKVM_NO_CAP="$cap" run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: this KVM lacks KVM_CAP_IMMEDIATE_EXIT, needed for race-free timeout and signals (Linux 4.11 or later); use a newer kernel" ]
}

@test "missing KVM_CAP_USER_MEMORY and KVM_CAP_EXT_CPUID are named too" {
	local cap
	need_fakekvm
	need_cc
	cap="$(cap_number KVM_CAP_USER_MEMORY)"
	FAKEKVM_NO_CAP="$cap" run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: this KVM lacks KVM_CAP_USER_MEMORY, needed for guest RAM from host memory; use a newer kernel" ]
	cap="$(cap_number KVM_CAP_EXT_CPUID)"
	FAKEKVM_NO_CAP="$cap" run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: this KVM lacks KVM_CAP_EXT_CPUID, needed for the guest's CPUID table; use a newer kernel" ]
}

@test "KVM_CREATE_VM fails" {
	need_fakekvm
	FAKEKVM_FAIL=CREATE_VM run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: creating the VM (KVM_CREATE_VM) failed: $EIO_TEXT" ]
}

@test "KVM_CREATE_VM fails with the errno the kernel gave (FAKEKVM_ERRNO)" {
	need_fakekvm
	FAKEKVM_FAIL=CREATE_VM FAKEKVM_ERRNO=ENOMEM run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: creating the VM (KVM_CREATE_VM) failed: Cannot allocate memory" ]
	FAKEKVM_FAIL=CREATE_VM FAKEKVM_ERRNO=16 run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: creating the VM (KVM_CREATE_VM) failed: Device or resource busy" ]
}

@test "KVM_SET_USER_MEMORY_REGION fails: lower --mem" {
	need_fakekvm
	FAKEKVM_FAIL=SET_USER_MEMORY_REGION run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: KVM refused 16 MiB of guest RAM (KVM_SET_USER_MEMORY_REGION: $EIO_TEXT); lower --mem" ]
	FAKEKVM_FAIL=SET_USER_MEMORY_REGION FAKEKVM_ERRNO=EINVAL run -102 --separate-stderr fakekvm --mem 2G "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: KVM refused 2 GiB of guest RAM (KVM_SET_USER_MEMORY_REGION: Invalid argument); lower --mem" ]
}

@test "KVM_CREATE_VCPU fails" {
	need_fakekvm
	FAKEKVM_FAIL=CREATE_VCPU run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: creating vCPU 0 failed (KVM_CREATE_VCPU): $EIO_TEXT" ]
}

@test "KVM_SET_SREGS fails, named with the mode" {
	need_fakekvm
	FAKEKVM_FAIL=SET_SREGS run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: setting real-mode segments and control registers failed (KVM_SET_SREGS): $EIO_TEXT" ]
	FAKEKVM_FAIL=SET_SREGS run -102 --separate-stderr fakekvm --mode protected "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: setting protected-mode segments and control registers failed (KVM_SET_SREGS): $EIO_TEXT" ]
	FAKEKVM_FAIL=SET_SREGS run -102 --separate-stderr fakekvm --mode long "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: setting long-mode segments and control registers failed (KVM_SET_SREGS): $EIO_TEXT" ]
}

@test "KVM_RUN fails" {
	need_fakekvm
	FAKEKVM_FAIL=RUN run -102 --separate-stderr fakekvm "$HELLO"
	[ "$output" = "" ]
	[ "$stderr" = "kvmrun: KVM_RUN failed on CPU 0: $EIO_TEXT" ]
}
