# Shared by tests/linux/virtio.bats and qemu.bats: load locks

# wait_lock FILE KIND: until /proc/locks shows a KIND (READ or WRITE) lock on
# FILE (kvmrun takes its lock before it makes the VM; QEMU when it opens the
# image), at most 10 s.
wait_lock() {
	local ino
	ino=$(stat -c %i "$1")
	for _ in $(seq 100); do
		awk -v ino=":$ino" -v kind="$2" '$0 ~ kind && index($0, ino " ") { found = 1 } END { exit !found }' /proc/locks && return 0
		sleep 0.1
	done
	echo "# no $2 lock on $1 in /proc/locks:"
	cat /proc/locks
	return 1
}
