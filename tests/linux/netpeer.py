#!/usr/bin/env python3
"""The host's end of the network tests' TCP transfers.

netpeer.py recv PORT OUT [ADDR]: listen on ADDR:PORT (default all), take one
  connection, read it to its end, write "BYTES SHA256" to OUT and the
  seconds from the connection to its end to OUT.secs. A file OUT.listening
  appears once the socket listens.
netpeer.py send HOST PORT FILE COUNT [SECS]: connect (retrying for 60 s while
  the guest's listener is not up yet), send FILE COUNT times, close, wait
  for the peer to close; the seconds from the connection to then go to SECS.
With NETPEER_WATCH=FILE in the environment, FILE holding a process's PID
  when the connection is made (the runner's, which may start after the
  listener), either end also writes beside its seconds file (OUT.secs.cpu,
  SECS.cpu) what that process's threads spent over the same interval:
  "RUNNER_MS GUEST_MS", its CPU time outside the guest (user and system,
  less guest time) and inside it (guest time), from /proc/PID/task/*/stat
  (the benchmark's view of where the time went).
Exits 1 with one line on stderr on any failure.
"""
import hashlib
import os
import socket
import sys
import time


def watched():
    """The PID in the file NETPEER_WATCH names, or None."""
    path = os.environ.get("NETPEER_WATCH")
    if not path:
        return None
    with open(path) as f:
        return int(f.read())


def cpu_ms(pid):
    """(outside, inside) the guest: ms of CPU time of PID's threads so far."""
    if not pid:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    outside = inside = 0
    for t in os.listdir("/proc/%s/task" % pid):
        try:
            with open("/proc/%s/task/%s/stat" % (pid, t)) as f:
                stat = f.read()
        except OSError:
            continue  # a thread that ended meanwhile
        rest = stat[stat.rfind(")") + 2:].split()
        utime, stime, guest = int(rest[11]), int(rest[12]), int(rest[40])
        outside += utime + stime - guest
        inside += guest
    return outside * 1000.0 / tick, inside * 1000.0 / tick


def write_cpu(path, before, pid):
    if before is None:
        return
    after = cpu_ms(pid)
    with open(path, "w") as f:
        f.write("%.0f %.0f\n" % (after[0] - before[0], after[1] - before[1]))


def recv(port, out, addr=""):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    open(out + ".listening", "w").close()
    c, _ = s.accept()
    t0 = time.monotonic()
    watch = watched()
    cpu0 = cpu_ms(watch)
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    t1 = time.monotonic()
    write_cpu(out + ".secs.cpu", cpu0, watch)
    with open(out + ".secs", "w") as f:
        f.write("%.6f\n" % (t1 - t0))
    with open(out, "w") as f:
        f.write("%d %s\n" % (n, h.hexdigest()))


def send(host, port, path, count, secs=None):
    data = open(path, "rb").read()
    end = time.monotonic() + 60
    while True:
        try:
            c = socket.create_connection((host, port), timeout=10)
            break
        except OSError as e:
            if time.monotonic() > end:
                raise SystemExit("netpeer: cannot connect to %s:%d: %s" % (host, port, e))
            time.sleep(0.2)
    c.settimeout(120)
    t0 = time.monotonic()
    watch = watched() if secs else None
    cpu0 = cpu_ms(watch)
    for _ in range(count):
        c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)  # the guest closes once it has read everything
    t1 = time.monotonic()
    c.close()
    if secs:
        write_cpu(secs + ".cpu", cpu0, watch)
        with open(secs, "w") as f:
            f.write("%.6f\n" % (t1 - t0))


def main():
    a = sys.argv[1:]
    try:
        if len(a) in (3, 4) and a[0] == "recv":
            recv(int(a[1]), a[2], a[3] if len(a) == 4 else "")
        elif len(a) in (5, 6) and a[0] == "send":
            send(a[1], int(a[2]), a[3], int(a[4]), a[5] if len(a) == 6 else None)
        else:
            raise SystemExit("usage: netpeer.py recv PORT OUT [ADDR] | send HOST PORT FILE COUNT [SECS]")
    except OSError as e:
        raise SystemExit("netpeer: %s" % e)


if __name__ == "__main__":
    main()
