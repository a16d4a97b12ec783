#!/usr/bin/env python3
"""bench/gdb.py: the --gdb section of `make bench` (bench/gdb.sh runs it).

What the GDB stub costs, wall-clock, for guest/hello.bin and for the compute
loop (bench/compute.elf --mode long --append N):
  plain      kvmrun GUEST, from spawn to exit
  listening  kvmrun --gdb 0 GUEST, nobody attaches, from spawn to exit
  detached   kvmrun --gdb 0 --gdb-wait GUEST; a client attaches, reads the
             stop ('?'), then detaches ('D'): from the D to kvmrun's exit
  attached   the same, but the client continues ('vCont;c') and stays
             attached, idle, until the exit packet: from the vCont to the exit
Goals (the issue's): attached at most 1.05x detached, and listening at most
1.05x plain (PASS/MISS lines). Runs are interleaved so all share the
machine's noise; the first of each is a warm-up whose output and status are
checked. Environment: KVMRUN (./kvmrun), BENCH_GDB_RUNS (default 20),
BENCH_GDB_COMPUTE (rounds, default 50000000).
Exit status 0 when complete (a MISS is a result), 1 when a run failed.
"""
import os, re, socket, statistics, subprocess, sys, time

KVMRUN = os.environ.get("KVMRUN", "./kvmrun")
RUNS = int(os.environ.get("BENCH_GDB_RUNS", "20"))
ROUNDS = os.environ.get("BENCH_GDB_COMPUTE", "50000000")
GOAL = 1.05


def packet(data):
    return b"$" + data + b"#%02x" % (sum(data) & 0xFF)


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def send(self, data):
        self.s.sendall(packet(data))

    def reply(self):
        """The next packet's payload, acknowledged; '+'/'-' bytes skipped."""
        while True:
            m = re.search(rb"\$([^#]*)#[0-9a-fA-F]{2}", self.buf)
            if m:
                self.buf = self.buf[m.end():]
                self.s.sendall(b"+")
                return m.group(1)
            chunk = self.s.recv(4096)
            if not chunk:
                return None
            self.buf += chunk


def spawn(args):
    return subprocess.Popen([KVMRUN] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def listening_port(p):
    line = p.stderr.readline().decode()
    m = re.match(r"kvmrun: gdb: listening on 127\.0\.0\.1:(\d+)", line)
    if not m:
        sys.exit("bench/gdb.py: no 'listening' line from kvmrun: %r" % line)
    return int(m.group(1))


def finish(p, want_out, want_status):
    out, err = p.communicate(timeout=600)
    if want_out is not None and (out != want_out or p.returncode != want_status):
        sys.exit("bench/gdb.py: unexpected run: status %d, stdout %r, stderr %r" % (p.returncode, out[:80], err[-200:]))
    return out, p.returncode


def run(kind, guest, want=(None, None)):
    """One run of KIND; returns (ms, stdout, status)."""
    if kind in ("plain", "listening"):
        t0 = time.perf_counter()
        p = spawn((["--gdb", "0"] if kind == "listening" else []) + guest)
        out, st = finish(p, *want)
        return (time.perf_counter() - t0) * 1000, out, st
    p = spawn(["--gdb", "0", "--gdb-wait"] + guest)
    c = Client(listening_port(p))
    c.send(b"?")
    if not c.reply().startswith(b"T05"):
        sys.exit("bench/gdb.py: no stop reply to '?'")
    t0 = time.perf_counter()
    c.send(b"D" if kind == "detached" else b"vCont;c")
    if kind == "attached":
        r = c.reply()
        if not r or r[:1] != b"W":
            sys.exit("bench/gdb.py: expected an exit packet, got %r" % r)
    out, st = finish(p, *want)
    ms = (time.perf_counter() - t0) * 1000
    c.s.close()
    return ms, out, st


def summary(v):
    return statistics.median(v), min(v), max(v)


def main():
    kinds = ["plain", "listening", "detached", "attached"]
    guests = [("guest/hello.bin", ["guest/hello.bin"]),
              ("compute loop, %s rounds" % ROUNDS, ["--mode", "long", "--append", ROUNDS, "bench/compute.elf"])]
    status = 0
    for name, g in guests:
        _, out, st = run("plain", g)
        if st != 0:
            sys.exit("bench/gdb.py: %s: the warm-up ended with status %d" % (name, st))
        for k in kinds:
            run(k, g, (out, st))
        t = {k: [] for k in kinds}
        for _ in range(RUNS):
            for k in kinds:
                t[k].append(run(k, g, (out, st))[0])
        print("%s: ms (median min max, N=%d)" % (name, RUNS))
        for k in kinds:
            print("  %-10s %9.2f %9.2f %9.2f" % ((k,) + summary(t[k])))
        for a, b in (("attached", "detached"), ("listening", "plain")):
            r = statistics.median(t[a]) / statistics.median(t[b])
            print("  %s / %s: %.3fx (goal <= %.2fx): %s" % (a, b, r, GOAL, "PASS" if r <= GOAL else "MISS"))
    return status


if __name__ == "__main__":
    sys.exit(main())
