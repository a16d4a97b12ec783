# What a Linux guest's init printed, from its console output on stdin: no
# carriage returns, no kernel log lines ("[    1.234567] ..."), and before the
# first line no firmware output (escape sequences, SeaBIOS's banner, blank
# lines). Used by tests/linux/qemu.bats and bench/linux.sh.
{
	sub(/\r+$/, "")
	if (!started) {
		gsub(/\033(c|\[[0-9;?]*[A-Za-z])/, "")
		if ($0 ~ /^$/ || $0 ~ /^SeaBIOS \(version .*\)$/ || $0 ~ /^Booting from ROM\.\.\.$/) next
	}
	if ($0 ~ /^\[ *[0-9]+\.[0-9]+\]/) next
	started = 1
	print
}
