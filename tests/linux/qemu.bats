#!/usr/bin/env bats
# Booting Linux against QEMU: the same kernel (build/linux/bzImage, Debian's),
# initrd and command line under QEMU -M pc, QEMU -M microvm (both -accel kvm)
# and kvmrun; tests/linux/init must print the same lines under each and each
# run must end with the same status. 23 boots, 10-30 s each in the test host
# (the whole file took 5.5 min there, before the two virtio-blk tests).
#
# QEMU's side, for every run:
#   -accel kvm -cpu host -m 256 -nodefaults -no-user-config -display none
#   -no-reboot -serial stdio, -kernel, -initrd, -append
# - pc: SeaBIOS loads the kernel. -display none, not -nographic: with
#   -nographic SeaBIOS copies its screen to COM1 (sercon): "\ec\e[?7l\e[2J",
#   its banner, "Booting from ROM...", and bare line feeds, some runs before
#   the first line of init's.
# - microvm, as QEMU sets it up by default: qboot, ISA serial, PIC, PIT, RTC
#   and hardware-reduced ACPI (its GED device's sleep registers are how
#   poweroff ends QEMU there). Debian's 6.1 kernel boots on it as it is: no
#   virtio-mmio device is needed (CONFIG_VIRTIO_MMIO is a module and nothing
#   here uses virtio); it prints "PCI: Fatal: No config space access function
#   found" there too.
# - -no-reboot: a reset ends QEMU with status 0, as it ends kvmrun.
# - exitf4: -device isa-debug-exit,iobase=0xf4,iosize=4 (kvmrun has it built in).
# - panic: -device pvpanic -action panic=exit-failure: QEMU exits 1 at the
#   panic; kvmrun (pvpanic at 0x505, always there) exits 100 and says so.
# kvmrun gets the same --append, console=ttyS0 included, so it adds nothing.
#
# What init printed: stdout without carriage returns, without the kernel's
# log lines ("[    1.234567] ...") and, before init's first line, without
# firmware output (escape sequences, SeaBIOS's banner, blank lines), which
# -display none should leave none of.
load ../helpers
load locks

L="$ROOT/build/linux"
QEMU_OPTS=(-accel kvm -cpu host -m 256 -nodefaults -no-user-config -display none -no-reboot -serial stdio)
DEBUG_EXIT=(-device isa-debug-exit,iobase=0xf4,iosize=4)
PVPANIC=(-device pvpanic -action panic=exit-failure)
PANIC_LINE="kvmrun: guest fault: the guest kernel panicked (pvpanic event 0x1 at port 0x505)"

setup() {
	command -v qemu-system-x86_64 > /dev/null ||
		skip "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86): no reference to compare with"
	need_kvm
	qemu-system-x86_64 -M help 2> /dev/null | grep -q '^microvm ' ||
		skip "this qemu-system-x86_64 has no microvm machine (QEMU 4.2 and later have it)"
	need_linux vmlinux
	D=$BATS_TEST_TMPDIR
}

# init_lines < OUTPUT: what init printed (tests/linux/init-lines.awk; bench/linux.sh reads it the same way).
init_lines() {
	awk -f "$ROOT/tests/linux/init-lines.awk"
}

# start NAME COMMAND...: runs COMMAND once, stdin /dev/null, under an outer
# timeout that only catches hangs; in $D: NAME.out, NAME.err, NAME.status and
# NAME.lines (what init printed). Shows the run (bats prints it on failure).
start() {
	local n=$1 s=0
	shift
	timeout -k 5 $((150 * TIME_SCALE)) "$@" < /dev/null > "$D/$n.out" 2> "$D/$n.err" || s=$?
	echo "$s" > "$D/$n.status"
	init_lines < "$D/$n.out" > "$D/$n.lines"
	echo "--- $n: status $s; init printed:"
	sed 's/^/  | /' "$D/$n.lines"
	echo "--- $n: stderr:"
	sed 's/^/  ! /' "$D/$n.err"
}

# on_qemu NAME MACHINE APPEND [OPTION...]: QEMU -M MACHINE boots KERNEL
# (default the bzImage) with the test initrd and command line APPEND.
on_qemu() {
	local n=$1 m=$2 a=$3
	shift 3
	start "$n" qemu-system-x86_64 -M "$m" "${QEMU_OPTS[@]}" "$@" \
		-kernel "${KERNEL:-$L/bzImage}" -initrd "$L/initrd.gz" -append "$a"
}

# on_kvmrun NAME APPEND [OPTION...]: kvmrun boots the same.
on_kvmrun() {
	local n=$1 a=$2
	shift 2
	start "$n" "$KVMRUN" --timeout $((100 * TIME_SCALE)) "$@" --initrd "$L/initrd.gz" --append "$a" "${KERNEL:-$L/bzImage}"
}

# all3 APPEND [QEMU-OPTION...]: runs pc, microvm and kvmrun with APPEND.
all3() {
	local a=$1
	shift
	on_qemu pc pc "$a" "$@"
	on_qemu microvm microvm "$a" "$@"
	on_kvmrun kvmrun "$a"
}

# said NAME STATUS TEXT: run NAME ended with STATUS and init printed TEXT.
said() {
	[ "$(cat "$D/$1.status")" = "$2" ] || { echo "# $1: status $(cat "$D/$1.status"), not $2"; return 1; }
	[ "$(cat "$D/$1.lines")" = "$3" ] || { echo "# $1: init's lines differ from: $3"; return 1; }
}

# same A B: run A printed what run B printed and ended with its status.
same() {
	diff "$D/$2.lines" "$D/$1.lines" || { echo "# $1 printed other lines than $2 (diff above)"; return 1; }
	[ "$(cat "$D/$1.status")" = "$(cat "$D/$2.status")" ] ||
		{ echo "# $1 ended with status $(cat "$D/$1.status"), $2 with $(cat "$D/$2.status")"; return 1; }
}

# quiet NAME...: these runs wrote nothing on stderr.
quiet() {
	local n
	for n in "$@"; do
		[ ! -s "$D/$n.err" ] || { echo "# $n wrote on stderr"; return 1; }
	done
}

@test "Linux against QEMU: hello: pc, microvm and kvmrun print the same line and power off with status 0" {
	all3 "console=ttyS0 quiet kvmrun.test=hello"
	said pc 0 "hello from init"
	same microvm pc
	same kvmrun pc
	quiet pc microvm kvmrun
}

@test "Linux against QEMU: exitf4,5: the same line and status 11 ((5 << 1) | 1) through isa-debug-exit at 0xf4" {
	all3 "console=ttyS0 quiet kvmrun.test=exitf4,5" "${DEBUG_EXIT[@]}"
	said pc 11 "exit port 0xf4 value 5"
	same microvm pc
	same kvmrun pc
	quiet pc microvm kvmrun
}

# Not microvm: in the test host QEMU 7.2's microvm met Linux's reboot with
# "KVM internal error. Suberror: 1 ... emulation failure" (at EIP 0xa4001f0,
# 32-bit code after the reset) and then waited until the outer timeout killed
# it, 15 minutes in CI. The line and status are compared with QEMU pc.
@test "Linux against QEMU: reboot: the same line and status 0 (QEMU pc with -no-reboot)" {
	a="console=ttyS0 quiet kvmrun.test=reboot"
	on_qemu pc pc "$a"
	on_kvmrun kvmrun "$a"
	said pc 0 "rebooting"
	same kvmrun pc
	quiet pc kvmrun
}

@test "Linux against QEMU: cmdline: /proc/cmdline is the same with an explicit console=ttyS0, quotes and spaces kept" {
	a='console=ttyS0 quiet kvmrun.test=cmdline a="b c"  x=1,2'
	all3 "$a"
	# The kernel keeps the string as given, double space included.
	said pc 0 "$a"
	same microvm pc
	same kvmrun pc
	quiet pc microvm kvmrun
}

@test "Linux against QEMU: cmdline: without console=, kvmrun's command line is QEMU's with ' console=ttyS0' at the end" {
	on_qemu pc pc "quiet kvmrun.test=cmdline console=ttyS0"
	on_kvmrun kvmrun "quiet kvmrun.test=cmdline"
	said pc 0 "quiet kvmrun.test=cmdline console=ttyS0"
	same kvmrun pc
	quiet pc kvmrun
}

@test "Linux against QEMU: a vmlinux through its PVH entry: microvm and kvmrun print the same line, status 0" {
	KERNEL=$L/vmlinux
	on_qemu microvm microvm "console=ttyS0 quiet kvmrun.test=hello"
	on_kvmrun kvmrun "console=ttyS0 quiet kvmrun.test=hello"
	said microvm 0 "hello from init"
	same kvmrun microvm
	quiet microvm kvmrun
}

# Without a pvpanic device the kernel spins after a panic (panic=0) until the
# outer timeout (status 124): statuses 1 and 100 show the event ended the runs.
@test "Linux against QEMU: panic with pvpanic: QEMU exits 1 (panic=exit-failure), kvmrun 100 with its line; both at once" {
	all3 "console=ttyS0 quiet kvmrun.test=panic" "${PVPANIC[@]}"
	said pc 1 "panicking"
	said microvm 1 "panicking"
	quiet pc microvm
	said kvmrun 100 "panicking"
	[ "$(cat "$D/kvmrun.err")" = "$PANIC_LINE" ]
}

# Virtio disks: QEMU pc with virtio-blk-pci as kvmrun offers it, modern only
# (disable-legacy=on), each run on its own read-only copy of the image.
# -device carries the serial (QEMU 7.2's -drive has no serial= any more).
# qemu_disk FILE SERIAL: QEMU's options for FILE as the next virtio disk.
qemu_disk() {
	local id=d$((ndisk++))
	qdisk+=(-drive "file=$1,if=none,id=$id,format=raw,readonly=on" -device "virtio-blk-pci,drive=$id,disable-legacy=on,serial=$2")
}

@test "Linux against QEMU: virtio-blk: the ext4 image mounted read-only gives the same file, the same SHA-256 (QEMU pc, virtio-blk-pci)" {
	cp "$L/disk.ext4" "$D/q.img"
	cp "$L/disk.ext4" "$D/k.img"
	ndisk=0 qdisk=()
	qemu_disk "$D/q.img" disk
	a="console=ttyS0 quiet kvmrun.test=disk-sha"
	on_qemu pc pc "$a" "${qdisk[@]}"
	on_kvmrun kvmrun "$a" --disk "$D/k.img,ro"
	said pc 0 "payload $(cat "$L/payload.sha256")"
	same kvmrun pc
	quiet pc kvmrun
}

@test "Linux against QEMU: virtio-blk: two read-only disks: the same names, sizes, serials, ro flags and bytes" {
	cp "$L/disk.ext4" "$D/q1.img"
	cp "$L/disk.ext4" "$D/k1.img"
	head -c 1536 "$L/initrd.gz" > "$D/q2.img"
	cp "$D/q2.img" "$D/k2.img"
	ndisk=0 qdisk=()
	qemu_disk "$D/q1.img" first-disk
	qemu_disk "$D/q2.img" exactly-twenty-bytes
	a="console=ttyS0 quiet kvmrun.test=disks"
	on_qemu pc pc "$a" "${qdisk[@]}"
	on_kvmrun kvmrun "$a" --disk "$D/k1.img,ro,serial=first-disk" --disk "$D/k2.img,ro,serial=exactly-twenty-bytes"
	said pc 0 "vda size 32768 serial 'first-disk' ro 1 sha256 $(cat "$L/disk.sha256")
vdb size 3 serial 'exactly-twenty-bytes' ro 1 sha256 $(sha256sum "$D/q2.img" | cut -d' ' -f1)"
	same kvmrun pc
	quiet pc kvmrun
}

# QEMU locks an image with OFD read locks on single bytes (100 and up: the
# permissions it holds, 200 and up: those it denies others); kvmrun's lock
# covers the whole file. -M none -S: QEMU opens the image and waits, no guest.
@test "Image locks against QEMU's: QEMU cannot open an image a kvmrun writes; kvmrun gets status 106 on one QEMU holds" {
	head -c 4096 /dev/zero > "$D/shared.img"
	"$KVMRUN" --timeout $((60 * TIME_SCALE)) --disk "$D/shared.img" "$G/spin.bin" > /dev/null 2> "$D/spin.err" &
	pid=$!
	wait_lock "$D/shared.img" WRITE
	run --separate-stderr timeout 30 qemu-system-x86_64 -M none -nodefaults -display none -S \
		-drive "file=$D/shared.img,if=none,id=d0,format=raw,readonly=on"
	kill -TERM "$pid"
	wait "$pid" || true
	[ "$status" -eq 1 ]
	[ "$stderr" = "qemu-system-x86_64: -drive file=$D/shared.img,if=none,id=d0,format=raw,readonly=on: Failed to lock byte 100" ]
	timeout 60 qemu-system-x86_64 -M none -nodefaults -display none -S \
		-drive "file=$D/shared.img,if=none,id=d0,format=raw" < /dev/null > /dev/null 2>&1 &
	qemu=$!
	wait_lock "$D/shared.img" READ
	run -106 --separate-stderr timeout 30 "$KVMRUN" --disk "$D/shared.img" "$G/spin.bin"
	kill -TERM "$qemu"
	wait "$qemu" || true
	[ "$stderr" = "kvmrun: disk $D/shared.img: in use by another process (it holds a lock on the file); stop it first, or give ,ro to every user that only reads" ]
	[ "$(cat "$D/spin.err")" = "kvmrun: stopped by SIGTERM" ]
}
