#!/usr/bin/env python3
"""tests/gdbraw.py PORT: a raw gdb remote-protocol client for tests/gdb.bats.
Reads lines from stdin, each one of:
  send TEXT       a packet $TEXT#cs (checksum computed)
  big N           a packet of N bytes of data, too long for the stub
  raw TEXT        bytes as given (Python escapes: \\x03, \\n)
  item            print the next thing that comes back
and prints, one a line, what came back: "+", "-", or "reply DATA"."""
import socket, sys

s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
buf = b""

def more():
    global buf
    d = s.recv(65536)
    if not d:
        print("eof"); sys.exit(0)
    buf += d

def next_item():
    global buf
    while True:
        while buf[:1] in (b"+", b"-"):
            c, buf = buf[:1], buf[1:]
            return c.decode()
        i = buf.find(b"$")
        if i >= 0:
            j = buf.find(b"#", i)
            if j >= 0 and len(buf) >= j + 3:
                data, buf = buf[i + 1:j], buf[j + 3:]
                return "reply " + data.decode()
        more()

for line in sys.stdin:
    cmd, _, arg = line.rstrip("\n").partition(" ")
    if cmd == "send":
        d = arg.encode()
        s.sendall(b"$" + d + b"#%02x" % (sum(d) & 0xff))
    elif cmd == "big":
        d = b"X" + b"a" * int(arg)
        s.sendall(b"$" + d + b"#%02x" % (sum(d) & 0xff))
    elif cmd == "raw":
        s.sendall(arg.encode().decode("unicode_escape").encode("latin-1"))
    elif cmd == "item":
        print(next_item(), flush=True)
