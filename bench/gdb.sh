#!/usr/bin/env bash
# bench/gdb.sh: the --gdb section of `make bench`: the machine, then
# bench/gdb.py (what it measures and its goals are described there).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. bench/common.sh
kvm_or_skip
# The test host (tests/vm) boots with its loopback interface down: the stub needs it.
if [ "$(id -u)" = 0 ] && command -v ip > /dev/null && ! ip -o link show lo | grep -q '<[^>]*UP'; then
	ip link set lo up
fi
echo "== --gdb: what the stub costs, listening and attached idle"
machine
exec python3 bench/gdb.py
