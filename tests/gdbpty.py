#!/usr/bin/env python3
"""tests/gdbpty.py GDB-ARG...: gdb on a pseudo-terminal, for tests/gdb.bats.

gdb forwards Ctrl-C to a remote target (the 0x03 byte) only when the
terminal turns it into SIGINT for gdb: in batch mode, without a terminal,
nothing types it. Here gdb is the session leader of a new pty, so writing
0x03 to the pty's master is Ctrl-C typed at gdb's terminal.

Reads lines from stdin, each one of:
  send TEXT       type TEXT and Enter
  intr            type Ctrl-C
  expect TEXT     wait until gdb writes TEXT (after what the last expect matched)
  sleep SECONDS   read what gdb writes meanwhile
  wait FILE TEXT  wait until FILE holds TEXT (reading what gdb writes meanwhile)
then closes the terminal, waits for gdb and prints all it wrote, CRs
removed. Exit status: gdb's; 124 when an expect waited GDBPTY_TIMEOUT
seconds (default 60) in vain or gdb did not end."""
import os, pty, select, sys, time

TIMEOUT = float(os.environ.get("GDBPTY_TIMEOUT", "60"))
env = dict(os.environ, TERM="dumb")  # no styling, no bracketed paste: plain text
pid, fd = pty.fork()
if pid == 0:
    os.execvpe("gdb", ["gdb"] + sys.argv[1:], env)

out = b""
seen = 0  # what the last expect matched ends here


def read_for(seconds):
    """Read what gdb writes for up to seconds; False once the pty is closed."""
    global out
    r, _, _ = select.select([fd], [], [], seconds)
    if not r:
        return True
    try:
        d = os.read(fd, 65536)
    except OSError:  # EIO: gdb and its terminal are gone
        return False
    out += d
    return bool(d)


def expect(text):
    global seen
    want = text.encode()
    deadline = time.monotonic() + TIMEOUT
    while want not in out[seen:]:
        left = deadline - time.monotonic()
        if left <= 0 or not read_for(left):
            return False
    seen = out.index(want, seen) + len(want)
    return True


def wait_file(path, text):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            if text.encode() in open(path, "rb").read():
                return True
        except OSError:
            pass
        read_for(0.05)
    return False


def fail(what):
    sys.stderr.write("gdbpty: %s in %g s\n" % (what, TIMEOUT))
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    finish(124)


def finish(status):
    sys.stdout.write(out.decode("utf-8", "replace").replace("\r", ""))
    if not out.endswith(b"\n"):
        sys.stdout.write("\n")
    sys.exit(status)


for line in sys.stdin:
    cmd, _, arg = line.rstrip("\n").partition(" ")
    if cmd == "send":
        os.write(fd, arg.encode() + b"\r")
    elif cmd == "intr":
        os.write(fd, b"\x03")
    elif cmd == "sleep":
        end = time.monotonic() + float(arg)
        while time.monotonic() < end and read_for(end - time.monotonic()):
            pass
    elif cmd == "expect" and not expect(arg):
        fail("no %r from gdb" % arg)
    elif cmd == "wait":
        path, _, text = arg.partition(" ")
        if not wait_file(path, text):
            fail("no %r in %s" % (text, path))

deadline = time.monotonic() + TIMEOUT
while time.monotonic() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        for _ in range(100):  # what is left in the pty, until EIO
            if not read_for(0.1):
                break
        finish(os.waitstatus_to_exitcode(status))
    read_for(0.1)
os.kill(pid, 9)
os.waitpid(pid, 0)
finish(124)
