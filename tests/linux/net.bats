#!/usr/bin/env bats
# virtio-net seen from a Linux guest (Debian's kernel, the test initramfs of
# tests/linux/build.sh, whose init loads virtio_net). Every test makes its own
# network namespace (ip netns) and its tap devices or passt in it: no frame
# leaves the namespace, and nothing here touches the host's own network.
# The host's end of each TCP transfer is tests/linux/netpeer.py; the guest's
# is busybox nc. Sizes: NET_TEST_MIB MiB each way (default 64).
load ../helpers
load background

L="$ROOT/build/linux"
PATH=$PATH:/usr/sbin:/sbin
NETPEER="$ROOT/tests/linux/netpeer.py"
MIB=${NET_TEST_MIB:-64}

setup() {
	need_kvm
	need_linux payload.bin
	[ "$(id -u)" = 0 ] || skip "network namespaces and taps need root (CI and the test host run as root)"
	D=$BATS_TEST_TMPDIR
	NS=kvmrun-net-$$-$BATS_TEST_NUMBER
	ip netns add "$NS"
	ns ip link set lo up
	bg_pids=
	P=
}

teardown() {
	[ -z "${P:-}" ] || rm -rf "$P"
	# shellcheck disable=SC2086 # a list of pids
	[ -z "${bg_pids:-}" ] || kill $bg_pids 2>/dev/null || true
	[ -z "${NS:-}" ] || { ip netns pids "$NS" 2>/dev/null | xargs -r kill -9; ip netns del "$NS" 2>/dev/null; } || true
}

# ns CMD...: CMD inside the test's namespace.
ns() {
	ip netns exec "$NS" "$@"
}

# tap NAME ADDR/PREFIX: a persistent tap in the namespace with the host's address, up.
tap() {
	ns ip tuntap add dev "$1" mode tap
	ns ip addr add "$2" dev "$1"
	ns ip link set "$1" up
}

# start TEST OPTION...: kvmrun boots the test kernel in the namespace, in the
# background, with --append "quiet kvmrun.test=TEST"; stdout $D/out, stderr $D/err.
start() {
	local t=$1
	shift
	ns timeout -k 5 $((400 * TIME_SCALE)) "$KVMRUN" --timeout $((300 * TIME_SCALE)) "$@" \
		--initrd "$L/initrd.gz" --append "quiet kvmrun.test=$t" "$L/bzImage" \
		< /dev/null > "$D/out" 2> "$D/err" &
	guest=$!
}

# expect_sha N: the SHA-256 of the payload sent N times.
expect_sha() {
	local i
	for ((i = 0; i < $1; i++)); do cat "$L/payload.bin"; done | sha256sum | cut -d' ' -f1
}

@test "virtio-net tap: the guest pings the host, the host pings the guest, $MIB MiB each way over TCP arrive with the right SHA-256" {
	tap tap0 10.0.2.1/24
	ns python3 "$NETPEER" recv 5001 "$D/g2h" 10.0.2.1 &
	bg_pids="$bg_pids $!"
	start "net,10.0.2.15/24:10.0.2.1:$MIB" --net tap=tap0,mac=52:54:00:12:34:56 --stats
	wait_line "net ready"
	run ns busybox ping -c 3 -W 20 10.0.2.15
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"3 packets transmitted, 3 packets received, 0% packet loss"* ]]
	ns python3 "$NETPEER" send 10.0.2.15 5002 "$L/payload.bin" "$MIB"
	finish
	sha=$(expect_sha "$MIB")
	[ "$status" -eq 0 ]
	[ "$out" = "nics: eth0 
eth0 mac 52:54:00:12:34:56
ping: 3 packets received
net ready
got $sha
sent" ]
	[ "$(cat "$D/g2h")" = "$((MIB * 1048576)) $sha" ]
	# --stats: frames both ways, none dropped.
	grep -E '^kvmrun: stats: virtio-net eth0' "$D/err"
	grep -E '^kvmrun: stats: virtio-net eth0: rx [0-9]+ frames .*, 0 dropped$' "$D/err"
}

# Debian 12's passt (a 2023 snapshot) resets a connection from the guest
# after a few MiB, whichever VMM feeds it: QEMU's -netdev stream with
# virtio-net-pci loses the same transfer at about 5 MiB (tried by hand). So
# the guest sends 2 MiB through it; the host still sends $MIB MiB.
@test "virtio-net stream=: through passt (user-mode networking): ping to the gateway, $MIB MiB to the guest and 2 MiB back over TCP" {
	command -v passt >/dev/null || skip "passt is not installed (apt-get install passt; .ci/run does)"
	# passt copies the namespace's address and default route for the guest;
	# the gateway is an address of the namespace itself, so that passt's own
	# pings and connections to it (as the guest's) find someone.
	tap uplink 10.0.2.2/24
	ns ip route add default via 10.0.2.1 dev uplink onlink
	ns ip addr add 10.0.2.1/32 dev lo
	# passt answers the guest's pings with ICMP sockets, which the sysctl allows.
	ns sysctl -qw net.ipv4.ping_group_range="0 2147483647"
	# passt, started as root, binds its socket as nobody: a directory nobody may write in.
	P=$(mktemp -d /tmp/kvmrun-passt.XXXXXX)
	chmod 1777 "$P"
	ns passt -q -f -1 -s "$P/passt.sock" -t 5002 > "$D/passt.log" 2>&1 &
	bg_pids="$bg_pids $!"
	for ((i = 0; i < 100; i++)); do [ -S "$P/passt.sock" ] && break; sleep 0.1; done
	[ -S "$P/passt.sock" ] || { cat "$D/passt.log"; false; }
	ns python3 "$NETPEER" recv 5001 "$D/g2h" &
	bg_pids="$bg_pids $!"
	start "net,10.0.2.2/24:10.0.2.1:$MIB:2" --net "stream=$P/passt.sock,mac=52:54:00:12:34:57" --stats
	wait_line "net ready"
	ns python3 "$NETPEER" send 127.0.0.1 5002 "$L/payload.bin" "$MIB"
	finish
	sha=$(expect_sha "$MIB")
	sha2=$(expect_sha 2)
	[ "$status" -eq 0 ]
	[ "$out" = "nics: eth0 
eth0 mac 52:54:00:12:34:57
ping: 3 packets received
net ready
got $sha
sent" ]
	[ "$(cat "$D/g2h")" = "$((2 * 1048576)) $sha2" ]
	grep -E '^kvmrun: stats: virtio-net eth0' "$D/err"
}

@test "virtio-net: two NICs are eth0 and eth1 in order, each on its own tap; the default MACs are stable and locally administered" {
	tap tapa 10.0.3.1/24
	tap tapb 10.0.4.1/24
	start "net2,10.0.3.15/24:10.0.3.1:10.0.4.15/24:10.0.4.1" --net tap=tapa --net tap=tapb
	finish
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[ "$(sed -n 1p <<< "$out")" = "nics: eth0 eth1 " ]
	[[ $(sed -n 2p <<< "$out") =~ ^eth0\ ([0-9a-f:]{17})\ ping:\ 2\ packets\ received$ ]]
	mac0=${BASH_REMATCH[1]}
	[[ $(sed -n 3p <<< "$out") =~ ^eth1\ ([0-9a-f:]{17})\ ping:\ 2\ packets\ received$ ]]
	mac1=${BASH_REMATCH[1]}
	[ "$mac0" != "$mac1" ]
	# Locally administered (bit 1 of the first octet), unicast (bit 0 clear).
	[ $((0x${mac0:0:2} & 3)) -eq 2 ]
	[ $((0x${mac1:0:2} & 3)) -eq 2 ]
	# The same tap names give the same addresses on the next boot.
	start "net2,10.0.3.15/24:10.0.3.1:10.0.4.15/24:10.0.4.1" --net tap=tapa --net tap=tapb
	finish
	[ "$status" -eq 0 ]
	[[ $(sed -n 2p <<< "$out") == "eth0 $mac0 "* ]]
	[[ $(sed -n 3p <<< "$out") == "eth1 $mac1 "* ]]
}

@test "virtio-net: kvmrun creates a tap it is allowed to create, and it is gone after the run" {
	start "net2,10.0.5.15/24:10.0.5.1:10.0.6.15/24:10.0.6.1" --net tap=kvmrun-new0
	for ((i = 0; i < 300; i++)); do ns ip link show kvmrun-new0 >/dev/null 2>&1 && break; sleep 0.1; done
	ns ip link show kvmrun-new0
	finish
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[ "$(sed -n 1p <<< "$out")" = "nics: eth0 " ]
	run ns ip link show kvmrun-new0
	[ "$status" -ne 0 ]
}

@test "virtio-net tap: saved while the guest waits for a connection (ctl snapshot --exit), restored on the recorded tap with the recorded MAC, saved and restored eight times more with a ping each time: 4 MiB each way over TCP arrive intact; a binding of another kind, MAC or count is refused" {
	tap tap0 10.0.2.1/24
	start "net,10.0.2.15/24:10.0.2.1:4" --net tap=tap0,mac=52:54:00:12:34:58 --control "$D/ctl"
	wait_line "net ready"
	run -0 --separate-stderr timeout $((20 * TIME_SCALE)) "$KVMRUN" ctl "$D/ctl" snapshot "$D/vm.snap" --exit
	[ "$output" = "snapshot=$D/vm.snap state=ended" ]
	finish
	[ "$status" -eq 0 ]
	[ "$stderr" = "kvmrun: saved to '$D/vm.snap'; the run ends (kvmrun --restore $D/vm.snap resumes it)" ]
	before=$out
	# The guest took a tap's offloads: a stream cannot stand in; nor can another MAC.
	run -110 --separate-stderr "$KVMRUN" --restore "$D/vm.snap" --net "stream=$D/none"
	[ "$stderr" = "kvmrun: snapshot '$D/vm.snap': its eth0 was on a tap; --net stream=$D/none is a stream socket" ]
	run -110 --separate-stderr "$KVMRUN" --restore "$D/vm.snap" --net tap=tap0,mac=52:54:00:00:00:01
	[ "$stderr" = "kvmrun: snapshot '$D/vm.snap': its eth0 has MAC 52:54:00:12:34:58, which its guest knows; --net tap=tap0 gives another" ]
	run -110 --separate-stderr "$KVMRUN" --restore "$D/vm.snap" --net tap=tap0 --net tap=tap1
	[ "$stderr" = "kvmrun: snapshot '$D/vm.snap': the saved VM had 1 NIC; 2 --net were given" ]
	# Restored, pinged and saved again, eight times over: at each save kvmrun
	# holds some 43 of the guest's 256 receive buffers (room for the largest
	# frame), which go back to the ring in the file. Were they lost instead,
	# the sixth restore would have none left and the pings would go unanswered.
	local snap="$D/vm.snap" c
	for c in 1 2 3 4 5 6 7 8; do
		ns timeout -k 5 $((100 * TIME_SCALE)) "$KVMRUN" --timeout $((80 * TIME_SCALE)) --restore "$snap" \
			--control "$D/c$c" < /dev/null > "$D/out.$c" 2> "$D/err.$c" &
		guest=$!
		for ((i = 0; i < 300 * TIME_SCALE; i++)); do [ -S "$D/c$c" ] && break; sleep 0.1; done
		run ns busybox ping -c 1 -W $((5 * TIME_SCALE)) 10.0.2.15
		echo "cycle $c: $output"
		[[ $output == *"1 packets transmitted, 1 packets received"* ]]
		run -0 timeout $((20 * TIME_SCALE)) "$KVMRUN" ctl "$D/c$c" snapshot "$D/vm.$c.snap" --exit
		wait "$guest"
		guest=
		[ "$(cat "$D/err.$c")" = "kvmrun: saved to '$D/vm.$c.snap'; the run ends (kvmrun --restore $D/vm.$c.snap resumes it)" ]
		[ ! -s "$D/out.$c" ]
		[ "$c" = 1 ] || rm "$snap"	# the test host's /tmp is RAM
		snap="$D/vm.$c.snap"
	done
	# The restored guest: the host's ARP entry for it (its MAC) still holds.
	ns python3 "$NETPEER" recv 5001 "$D/g2h" 10.0.2.1 &
	bg_pids="$bg_pids $!"
	ns timeout -k 5 $((400 * TIME_SCALE)) "$KVMRUN" --timeout $((300 * TIME_SCALE)) --stats --restore "$snap" \
		--control "$D/ctl2" < /dev/null > "$D/out" 2> "$D/err" &
	guest=$!
	# The control socket comes after the tap is open: from then on no frame to the guest is lost.
	for ((i = 0; i < 300 * TIME_SCALE; i++)); do [ -S "$D/ctl2" ] && break; sleep 0.1; done
	[ -S "$D/ctl2" ]
	run ns busybox ping -c 3 -W 20 10.0.2.15
	echo "$output"
	[[ $output == *"3 packets transmitted, 3 packets received, 0% packet loss"* ]]
	ns python3 "$NETPEER" send 10.0.2.15 5002 "$L/payload.bin" 4
	finish
	sha=$(expect_sha 4)
	[ "$status" -eq 0 ]
	[ "$before" = "nics: eth0 
eth0 mac 52:54:00:12:34:58
ping: 3 packets received
net ready" ]
	[ "$out" = "got $sha
sent" ]
	[ "$(cat "$D/g2h")" = "$((4 * 1048576)) $sha" ]
	grep -E '^kvmrun: stats: virtio-net eth0: rx [0-9]+ frames .*, 0 dropped$' "$D/err"
}
