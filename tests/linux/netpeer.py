#!/usr/bin/env python3
"""The host's end of the network tests' TCP transfers.

netpeer.py recv PORT OUT [ADDR]: listen on ADDR:PORT (default all), take one
  connection, read it to its end, write "BYTES SHA256" to OUT and the
  seconds from the connection to its end to OUT.secs. A file OUT.listening
  appears once the socket listens.
netpeer.py send HOST PORT FILE COUNT [SECS]: connect (retrying for 60 s while
  the guest's listener is not up yet), send FILE COUNT times, close, wait
  for the peer to close; the seconds from the connection to then go to SECS.
Exits 1 with one line on stderr on any failure.
"""
import hashlib
import os
import socket
import sys
import time


def recv(port, out, addr=""):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    open(out + ".listening", "w").close()
    c, _ = s.accept()
    t0 = time.monotonic()
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        h.update(b)
        n += len(b)
    t1 = time.monotonic()
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
    for _ in range(count):
        c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)  # the guest closes once it has read everything
    t1 = time.monotonic()
    c.close()
    if secs:
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
