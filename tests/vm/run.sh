#!/usr/bin/env bash
# tests/vm/run.sh [--shell] [--] [COMMAND [ARG...]]: run COMMAND inside the test
# host, a small Linux VM that QEMU emulates in software (TCG) with AMD SVM, so
# that its kernel's kvm_amd gives a real /dev/kvm on machines that have none.
#
# The VM sees the host's root read-only (the same tools: bash, bats, python3,
# binutils) and this checkout read-write at the same path; COMMAND runs in the
# current directory with this environment (less what names the host's session),
# stdin from /dev/null. Its stdout and stderr arrive here byte for byte, as it
# writes them, and its exit status is run.sh's. --shell (or no COMMAND) gives an
# interactive bash instead, on this terminal.
#
# Statuses of its own: 125 the test host could not be built or started, or
# ended without reporting a status (its console log is shown); 124 it was still
# running after TESTVM_TIMEOUT seconds (default 3600) and was killed.
#
# Environment: TESTVM_DIR (cache, default build/testvm), TESTVM_MEM (MiB,
# default 3072), TESTVM_TIMEOUT (seconds), TESTVM_QEMU (the emulator binary).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
cache=${TESTVM_DIR:-$checkout/build/testvm}
mem=${TESTVM_MEM:-3072}
limit=${TESTVM_TIMEOUT:-3600}
qemu=${TESTVM_QEMU:-qemu-system-x86_64}

say() { echo "testvm: $*" >&2; }

mode=batch
case ${1:-} in
--shell) mode=shell; shift ;;
--) shift ;;
esac
[ "${1:-}" = -- ] && shift
[ $# -eq 0 ] && mode=shell
if [ "$mode" = shell ] && ! [ -t 0 ]; then
	say "--shell needs a terminal on stdin"
	exit 125
fi
case $mem in ''|*[!0-9]*) say "TESTVM_MEM '$mem' is not a number of MiB"; exit 125 ;; esac
case $limit in ''|*[!0-9]*) say "TESTVM_TIMEOUT '$limit' is not a number of seconds"; exit 125 ;; esac

command -v "$qemu" >/dev/null || { say "$qemu is missing: apt-get install qemu-system-x86"; exit 125; }
mkdir -p "$cache" || exit 125
"$here/build.sh" "$cache" || { say "could not build the test host (see above)"; exit 125; }

run=$(mktemp -d "${TMPDIR:-/tmp}/testvm.XXXXXX") || exit 125
qemu_pid=
# qemu_pid is timeout(1)'s, which passes TERM on to QEMU and waits for it.
cleanup() {
	if [ -n "$qemu_pid" ]; then
		kill -TERM "$qemu_pid" 2>/dev/null
		wait "$qemu_pid" 2>/dev/null
	fi
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "$checkout" > "$run/checkout"
echo "$mode" > "$run/mode"

# Whether this side's stdout and stderr are terminals (asked here: inside the
# block below stdout is the file).
out_tty=0 err_tty=0 size=
[ -t 1 ] && out_tty=1 && size=$(stty size < /dev/tty 2>/dev/null)
[ -t 2 ] && err_tty=1

# The command, as bash runs it inside: this environment less the variables that
# belong to this session or this make (a jobserver's descriptors do not cross),
# then the directory, then COMMAND with its arguments quoted as given.
{
	echo "# written by tests/vm/run.sh"
	while IFS= read -r -d '' var; do
		name=${var%%=*}
		case $name in
		''|*[!A-Za-z0-9_]*|[0-9]*) continue ;;
		PWD|OLDPWD|SHLVL|_|TMPDIR|MAKEFLAGS|MFLAGS|MAKELEVEL|MAKEOVERRIDES|MAKE_TERMOUT|MAKE_TERMERR) continue ;;
		SSH_*|DISPLAY|XAUTHORITY|XDG_*|DBUS_*|TMUX|TMUX_PANE|WINDOWID|BASH_FUNC_*) continue ;;
		esac
		printf 'export %s=%q\n' "$name" "${var#*=}"
	done < <(env -0)
	echo "export HOME=/root TESTVM=inside"
	[ "$mode" = shell ] && echo "export PS1='testvm:\\w# '"
	printf 'cd %q 2>/dev/null || { echo "testvm: the current directory %q is not in the test host (it sees the checkout and this machine'"'"'s root, with its own /tmp, /run, /var/tmp and /root)" >&2; exit 125; }\n' "$PWD" "$PWD"
	# The serial line learns this terminal's size (a line's size lasts while it is open).
	if [ -n "$size" ]; then
		printf 'stty rows %d cols %d <&1 2>/dev/null\n' ${size% *} ${size#* }
	fi
	if [ "$mode" = shell ]; then
		echo 'echo "testvm: a shell in the test host (/dev/kvm from kvm_amd); exit or Ctrl-D powers it off" >&2'
		echo 'exec bash -i'
	else
		# Inside, stdout and stderr are serial lines, so terminals: where ours
		# are not, COMMAND writes to pipes instead, and sees what it would here.
		printf 'set -- '
		printf ' %q' "$@"
		printf '\n'
		# bash's own words (a child killed by a signal) are not COMMAND's.
		echo 'exec 5>&2 2>/dev/null; set -o pipefail'
		if [ $out_tty = 1 ] && [ $err_tty = 1 ]; then
			echo 'exec "$@" 2>&5 5>&-'
		elif [ $err_tty = 1 ]; then
			echo '"$@" 2>&5 5>&- | cat'
		elif [ $out_tty = 1 ]; then
			echo '{ "$@" 2>&1 1>&4 4>&- 5>&- | cat >&5 4>&- 5>&-; } 4>&1'
		else
			echo '{ "$@" 2>&1 1>&4 4>&- 5>&- | cat >&5 4>&- 5>&-; } 4>&1 | cat'
		fi
	fi
} > "$run/cmd.sh"

kernel_args="console=ttyS0 panic=-1 mitigations=off quiet loglevel=4 rdinit=/init"
qemu_args=(
	-accel tcg -cpu max -smp 1 -m "$mem" -M q35
	-nodefaults -no-user-config -display none -no-reboot
	-kernel "$cache/vmlinuz" -initrd "$cache/initramfs.gz" -append "$kernel_args"
	-serial "file:$run/console.log"
	-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
	-device "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot"
	-fsdev "local,id=checkout,path=$checkout,security_model=none,multidevs=remap"
	-device "virtio-9p-pci,fsdev=checkout,mount_tag=checkout"
	-fsdev "local,id=run,path=$run,security_model=none"
	-device "virtio-9p-pci,fsdev=run,mount_tag=run"
)

if [ "$mode" = shell ]; then
	# ttyS1 is this terminal; Ctrl-A x leaves QEMU as a last resort.
	qemu_args+=(-chardev stdio,id=tty,mux=on,signal=off -serial chardev:tty -mon chardev=tty,mode=readline -serial null)
	"$qemu" "${qemu_args[@]}" 2> "$run/qemu.log"
	qemu_status=$?
else
	# Each stream goes through a FIFO that a cat drains here, so QEMU never
	# reopens or truncates this process's stdout or stderr.
	for s in out err; do
		mkfifo "$run/$s.in" "$run/$s.out" || exit 125
	done
	# This shell holds a writer on each FIFO until QEMU is gone, so that the
	# cats see their end of file then, whether or not QEMU ever opened them.
	exec 3<> "$run/out.out" 4<> "$run/err.out"
	cat "$run/out.out" 3>&- 4>&- &
	cat_out=$!
	cat "$run/err.out" >&2 3>&- 4>&- &
	cat_err=$!
	qemu_args+=(-chardev "pipe,id=out,path=$run/out" -serial chardev:out
		    -chardev "pipe,id=err,path=$run/err" -serial chardev:err)
	timeout -k 5 "$limit" "$qemu" "${qemu_args[@]}" < /dev/null 2> "$run/qemu.log" 3>&- 4>&- &
	qemu_pid=$!
	wait "$qemu_pid"
	qemu_status=$?
	qemu_pid=
	exec 3>&- 4>&-
	wait "$cat_out" "$cat_err" 2>/dev/null
fi

if [ -f "$run/status" ]; then
	exit "$(cat "$run/status")"
fi
if [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
	say "the test host was still running after $limit s (TESTVM_TIMEOUT) and was killed; its console log:"
	status=124
else
	say "the test host ended without a status (QEMU status $qemu_status); QEMU said:"
	sed 's/^/  /' "$run/qemu.log" >&2
	say "its console log:"
	status=125
fi
tail -n 30 "$run/console.log" | sed 's/^/  /' >&2
cp "$run/console.log" "$cache/last-console.log" 2>/dev/null
exit "$status"
