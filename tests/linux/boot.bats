#!/usr/bin/env bats
# Booting Linux: Debian's kernel (the test host's, tests/vm/build.sh) with an
# initramfs of busybox and tests/linux/init, made by tests/linux/build.sh. The
# init does what kvmrun.test=NAME on the command line says. Each boot takes
# about 20 s in the test host, a second on hardware KVM; the malformed images
# are refused before any VM exists.
load ../helpers

L="$ROOT/build/linux"

setup() {
	need_kvm
	need_linux vmlinux
}

# boot TEST [OPTION...] [-- IMAGE]: boot the bzImage (or IMAGE) with the test
# initrd and kvmrun.test=TEST; init_lines are the console's lines without
# carriage returns and without the kernel's log lines ("[    1.234] ...").
boot() {
	local t=$1 image="$L/bzImage" opts=()
	shift
	while [ $# -gt 0 ]; do
		[ "$1" = -- ] && { image=$2; break; }
		opts+=("$1")
		shift
	done
	run --separate-stderr timeout -k 5 $((150 * TIME_SCALE)) "$KVMRUN" --timeout $((100 * TIME_SCALE)) \
		"${opts[@]}" --initrd "$L/initrd.gz" --append "quiet kvmrun.test=$t" "$image" < "${BOOT_STDIN:-/dev/null}"
	init_lines=()
	while IFS= read -r line; do
		line=${line%$'\r'}
		[[ $line =~ ^\[\ *[0-9]+\.[0-9]+\] ]] || init_lines+=("$line")
	done <<< "$output"
	init_out=$(printf '%s\n' "${init_lines[@]}")
	printf 'status %s; init printed:\n%s\nstderr:\n%s\n' "$status" "$init_out" "$stderr"
}

@test "Linux: a bzImage boots to init, which prints a line; poweroff ends the run with status 0 and nothing on stderr" {
	boot hello
	[ "$status" -eq 0 ]
	[ "$init_out" = "hello from init" ]
	[ "$stderr" = "" ]
}

@test "Linux: halt and reboot end the run with status 0" {
	boot halt
	[ "$status" -eq 0 ]
	[ "$init_out" = "halting" ]
	[ "$stderr" = "" ]
	boot reboot -v
	[ "$status" -eq 0 ]
	[ "$init_out" = "rebooting" ]
	[ "${stderr_lines[-1]}" = "kvmrun: guest reset the machine; exit status 0" ]
}

@test "Linux: userspace chooses the status through port 0xf8 (exact) and 0xf4 (QEMU's (v << 1) | 1)" {
	boot exit,42
	[ "$status" -eq 42 ]
	[ "$init_out" = "exit port 0xf8 value 42" ]
	[ "$stderr" = "" ]
	boot exitf4,5
	[ "$status" -eq 11 ]
	[ "$init_out" = "exit port 0xf4 value 5" ]
}

PANIC_LINE="kvmrun: guest fault: the guest kernel panicked (pvpanic event 0x1 at port 0x505)"

@test "Linux: a kernel panic (sysrq c) ends the run at once through pvpanic: status 100, one line on stderr" {
	boot panic
	[ "$status" -eq 100 ]
	[ "$init_out" = "panicking" ]
	[ "$stderr" = "$PANIC_LINE" ]
	[[ $output == *"Kernel panic - not syncing: sysrq triggered crash"* ]]
}

@test "Linux: an init that exits is a panic, never status 0: status 100" {
	boot initexit
	[ "$status" -eq 100 ]
	[ "$init_out" = "init exits with 3" ]
	[ "$stderr" = "$PANIC_LINE" ]
	[[ $output == *"Attempted to kill init! exitcode=0x00000300"* ]]
}

@test "Linux: SIGTERM stops a booted guest waiting for input: status 143, its output kept, one line on stderr" {
	D=$BATS_TEST_TMPDIR
	mkfifo "$D/in"
	sleep 600 > "$D/in" &
	holder=$!
	"$KVMRUN" --timeout $((150 * TIME_SCALE)) --initrd "$L/initrd.gz" --append "quiet kvmrun.test=shell" \
		"$L/bzImage" < "$D/in" > "$D/out" 2> "$D/err" &
	pid=$!
	for _ in $(seq $((100 * TIME_SCALE))); do grep -q '^shell ready' "$D/out" && break; sleep 1; done
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	kill "$holder" 2> /dev/null || true
	[ "$status" -eq 143 ]
	grep -q '^shell ready' "$D/out"
	[ "$(cat "$D/err")" = "kvmrun: stopped by SIGTERM" ]
}

@test "Linux: --append reaches /proc/cmdline exactly; without console= kvmrun adds console=ttyS0 at the end" {
	run --separate-stderr timeout -k 5 $((150 * TIME_SCALE)) "$KVMRUN" --timeout $((100 * TIME_SCALE)) \
		--initrd "$L/initrd.gz" --append 'console=ttyS0 quiet kvmrun.test=cmdline a="b c" x=1,2' "$L/bzImage"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" | tr -d '\r' | grep -qx 'console=ttyS0 quiet kvmrun.test=cmdline a="b c" x=1,2'
	boot cmdline
	[ "$status" -eq 0 ]
	[ "$init_out" = "quiet kvmrun.test=cmdline console=ttyS0" ]
}

@test "Linux: the initrd's bytes arrive intact (a 1 MiB payload's SHA-256)" {
	boot initrd
	[ "$status" -eq 0 ]
	[ "$init_out" = "payload $(cat "$L/payload.sha256")" ]
}

# MemTotal is RAM less what the kernel keeps (its image, struct pages): at
# least 75% of --mem here, and never more than it.
check_mem() {
	local bytes=$1 kb
	[ "$status" -eq 0 ]
	[[ $init_out =~ ^MemTotal\ ([0-9]+)$ ]]
	kb=${BASH_REMATCH[1]}
	echo "# --mem $2: MemTotal $kb kB" >&3
	[ $((kb * 1024)) -le "$bytes" ]
	[ $((kb * 1024)) -ge $((bytes / 4 * 3)) ]
}

@test "Linux: MemTotal matches --mem 256M, 3G and 5G (RAM above 3 GiB sits above 4 GiB)" {
	boot mem --mem 256M
	check_mem $((256 << 20)) 256M
	boot mem --mem 3G
	check_mem $((3 << 30)) 3G
	boot mem --mem 5G
	check_mem $((5 << 30)) 5G
}

@test "Linux: the guest's clock (CMOS RTC, kvm-clock) is within 5 s of the host's" {
	boot date
	[ "$status" -eq 0 ]
	[[ $init_out =~ ^date\ ([0-9]+)$ ]]
	# The guest read its clock just before powering off; the host reads its own just after.
	diff=$(($(date +%s) - BASH_REMATCH[1]))
	echo "# the host's clock was $diff s ahead of the guest's" >&3
	[ "$diff" -ge -5 ] && [ "$diff" -le 5 ]
}

@test "Linux: input piped in before the driver opens the port reaches a shell's read, every byte" {
	printf 'quiet words\nb c\n\nend\nafter\n' > "$BATS_TEST_TMPDIR/in"
	BOOT_STDIN="$BATS_TEST_TMPDIR/in" boot read
	[ "$status" -eq 0 ]
	got=$(printf '%s\n' "${init_lines[@]}" | grep -E '^(got: |read done)')
	[ "$got" = $'got: quiet words\ngot: b c\ngot: \nread done' ]
}

@test "Linux: --cpus 1, 2 and 4: nproc, /proc/cpuinfo and the online mask agree; two busy loops run on two CPUs" {
	local n want
	for n in 1 2 4; do
		boot cpus --cpus "$n"
		[ "$status" -eq 0 ]
		[ "$stderr" = "" ]
		want="two loops on two cpus"
		[ "$n" -gt 1 ] || want="two loops on one cpu"
		[ "${init_lines[*]}" = "nproc $n cpuinfo $n online $([ "$n" -gt 1 ] && echo "0-$((n - 1))" || echo 0) $want" ]
	done
}

@test "Linux: --cpus 2 with a PVH vmlinux brings up both CPUs" {
	boot cpus --cpus 2 -- "$L/vmlinux"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[ "${init_lines[*]}" = "nproc 2 cpuinfo 2 online 0-1 two loops on two cpus" ]
}

@test "Linux: a vmlinux boots through its PVH entry; -v names it" {
	boot hello -v -- "$L/vmlinux"
	[ "$status" -eq 0 ]
	[ "$init_out" = "hello from init" ]
	printf '%s\n' "${stderr_lines[@]}" | grep -q "^kvmrun: guest '$L/vmlinux': pvh (ELF64), .*, protected mode, entry $(cat "$L/vmlinux-pvh-entry")\$"
}

@test "Linux: an interactive shell in a terminal (tmux) runs commands; Ctrl-A x quits with 130 and restores the terminal" {
	command -v tmux > /dev/null || skip "tmux is not installed: apt-get install tmux"
	S="kvmrun-linux-$$"
	D="$BATS_TEST_TMPDIR"
	tmux -L "$S" new-session -d -s main -x 120 -y 30 "env PS1='$ ' bash --norc --noprofile"
	tmux -L "$S" send-keys -t main "cd '$D' && stty -a > before.txt && '$KVMRUN' --timeout $((100 * TIME_SCALE)) --initrd '$L/initrd.gz' --append 'quiet kvmrun.test=shell' '$L/bzImage' 2> err.txt; echo \$? > status.txt; stty -a > after.txt" Enter
	# capture-pane drops trailing blanks (busybox's prompt '/ # ' reads as '/ #'); -S takes
	# the history too, where the lines may have scrolled.
	for _ in $(seq $((60 * TIME_SCALE))); do tmux -L "$S" capture-pane -p -S -200 -t main | grep -q '^/ #' && break; sleep 1; done
	tmux -L "$S" send-keys -t main 'echo "answer $((6 * 7))"; tty' Enter
	for _ in $(seq 60); do tmux -L "$S" capture-pane -p -S -200 -t main | grep -qx '/dev/ttyS0' && break; sleep 1; done
	screen=$(tmux -L "$S" capture-pane -p -S -200 -t main)
	tmux -L "$S" send-keys -t main C-a x
	for _ in $(seq 60); do [ -s "$D/after.txt" ] && break; sleep 1; done
	tmux -L "$S" kill-server 2> /dev/null || true
	printf 'the pane showed:\n%s\n' "$screen"
	printf '%s\n' "$screen" | grep -qx 'answer 42'
	printf '%s\n' "$screen" | grep -qx '/dev/ttyS0'
	[ "$(cat "$D/status.txt")" = "130" ]
	[ "$(cat "$D/err.txt")" = "kvmrun: quit (Ctrl-A x)" ]
	diff "$D/before.txt" "$D/after.txt"
}

# ---- malformed images and impossible requests: one line, a documented status, no VM ----

# bad NAME PYTHON: a copy of the bzImage changed by a Python statement on bytearray d.
bad() {
	python3 -c "import struct,sys; d=bytearray(open(sys.argv[1],'rb').read()); $2; open(sys.argv[2],'wb').write(d)" \
		"$L/bzImage" "$BATS_TEST_TMPDIR/$1"
	echo "$BATS_TEST_TMPDIR/$1"
}

refused() {
	local want=$1
	shift
	run -104 --separate-stderr timeout 30 "$KVMRUN" "$@"
	[ "$output" = "" ]
	[ "$stderr" = "$want" ]
}

@test "Linux: malformed bzImages are refused with the field at fault, status 104" {
	f=$(bad trunc 'd = d[:0x230]')
	refused "kvmrun: guest '$f': the setup header is truncated: it ends at byte 620, the file at 560" --format linux "$f"
	f=$(bad magic 'd[0x202:0x206] = b"HdrX"')
	refused "kvmrun: guest '$f': not a Linux kernel: the setup header's magic at 0x202 is 0x58726448, not \"HdrS\" (0x53726448)" --format linux "$f"
	f=$(bad flag 'd[0x1fe] = 0')
	refused "kvmrun: guest '$f': not a Linux kernel: boot_flag at 0x1fe is 0xaa00, not 0xaa55" --format linux "$f"
	f=$(bad old 'struct.pack_into("<H", d, 0x206, 0x020b)')
	refused "kvmrun: guest '$f': Linux boot protocol 2.11 is too old: kvmrun needs 2.12 or later (Linux 3.8 on) for the 64-bit entry" "$f"
	f=$(bad no64 'struct.pack_into("<H", d, 0x236, struct.unpack_from("<H", d, 0x236)[0] & ~1)')
	refused "kvmrun: guest '$f': no 64-bit entry (xloadflags 0x$(python3 -c "import struct; print('%x' % (struct.unpack_from('<H', open('$L/bzImage','rb').read(), 0x236)[0] & ~1))") lacks XLF_KERNEL_64): a 32-bit kernel; kvmrun boots x86-64 kernels" "$f"
	sects=$(python3 -c "print(open('$L/bzImage','rb').read()[0x1f1])")
	f=$(bad lies "d[0x1f1] = $((sects - 9))")
	refused "kvmrun: guest '$f': setup_sects $((sects - 9)) puts the kernel at byte $(((sects - 8) * 512)), where payload_offset $(python3 -c "import struct; print('0x%x' % struct.unpack_from('<I', open('$L/bzImage','rb').read(), 0x248)[0])") finds no compressed kernel: the header does not match the file" "$f"
	f=$(bad half 'd = d[:len(d) // 2]')
	run -104 --separate-stderr timeout 30 "$KVMRUN" "$f"
	[[ $stderr == "kvmrun: guest '$f': syssize says the kernel is "*" bytes, but the file holds "*" after the setup (setup_sects $sects)" ]]
}

@test "Linux: an initrd larger than RAM allows, a command line over cmdline_size, too little RAM: refused, status 104" {
	truncate -s 300M "$BATS_TEST_TMPDIR/big"
	run -104 --separate-stderr timeout 30 "$KVMRUN" --mem 256M --initrd "$BATS_TEST_TMPDIR/big" "$L/bzImage"
	[[ $stderr == "kvmrun: guest '$L/bzImage': initrd '$BATS_TEST_TMPDIR/big' (314572800 bytes) does not fit in RAM between the kernel's end at 0x"*" and 0x10000000; raise --mem" ]]
	long=$(head -c 2048 /dev/zero | tr '\0' a)
	refused "kvmrun: guest '$L/bzImage': the command line is 2048 bytes; this kernel takes at most 2047 (cmdline_size)" --append "console=ttyS0 ${long:14}" "$L/bzImage"
	run -104 --separate-stderr timeout 30 "$KVMRUN" --mem 64M "$L/bzImage"
	[[ $stderr == "kvmrun: guest '$L/bzImage': the kernel needs RAM up to 0x"*"; RAM ends at 0x4000000: give --mem "*"M or more" ]]
}

@test "Linux: options that cannot apply are usage errors, status 2" {
	run -2 --separate-stderr timeout 30 "$KVMRUN" --no-irqchip "$L/bzImage"
	[ "$stderr" = "kvmrun: --no-irqchip: '$L/bzImage' is a Linux bzImage, which needs the interrupt controllers and the PIT; $USAGE" ]
	run -2 --separate-stderr timeout 30 "$KVMRUN" --initrd a --initrd b "$L/bzImage"
	[ "$stderr" = "kvmrun: one --initrd for a Linux kernel, but 2 were given (join them: cat a b > c); $USAGE" ]
	run -2 --separate-stderr timeout 30 "$KVMRUN" --mode long "$L/bzImage"
	[ "$stderr" = "kvmrun: --mode applies to flat images; '$L/bzImage' is a Linux bzImage, which sets its own CPU mode; $USAGE" ]
	run -104 --separate-stderr timeout 30 "$KVMRUN" --format pvh "$L/bzImage"
	[ "$stderr" = "kvmrun: guest '$L/bzImage': no PVH entry: an ELF64 with a Xen note of type 18 (XEN_ELFNOTE_PHYS32_ENTRY) is needed (Linux: CONFIG_PVH=y)" ]
}
