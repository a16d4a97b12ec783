#!/usr/bin/env python3
"""tests/fuzz/mkseeds.py: write the seed corpora tests/fuzz/corpus/NAME/ and
the hand-made reproducers tests/fuzz/regress/NAME/.

ELF and Multiboot seeds are the project's own fixtures from tests/mkimage
(make tests/mkimage first); the others are built here, one small valid input
per behaviour. Each reproducer is the smallest file that shows one finding.
Run from the top of the repository; the output is committed.
"""
import os
import struct
import subprocess
import sys
import tempfile

OUT = "tests/fuzz/corpus"
MKIMAGE = "tests/mkimage"
SEP = b"\n--split--\n"          # fuzz_multiboot.c's part separator

ELF_VARIANTS = [
    "elf-ok64", "elf-ok32", "elf-two-segments", "elf-entry-virtual", "elf32-entry-virtual",
    "elf-phoff-overflow", "elf-memsz-zero", "elf-offset-overflow", "elf-segment-overflow",
    "elf-overlaps-runner", "elf-overlapping-segments", "elf-interp", "elf-entry-outside",
    "mb-elf64-entry-high",
]
MB_VARIANTS = [
    "mb-elf-ok", "mb-elf-mods", "mb-aout-ok", "mb-aout-load-end-zero", "mb-header-last-slot",
    "mb-elf64-entry-high", "mb-required-bit", "mb-aout-bss-below", "mb-aout-entry-outside",
    "mb-aout-overlaps-info", "mb-aout-truncated", "mb-bad-checksum",
]


def mkimage(variant):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, variant)
        subprocess.run([MKIMAGE, variant, path], check=True)
        with open(path, "rb") as f:
            return f.read()


def write(target, name, data, top=OUT):
    os.makedirs(os.path.join(top, target), exist_ok=True)
    assert len(data) < 16 * 1024, (target, name, len(data))
    with open(os.path.join(top, target, name), "wb") as f:
        f.write(data)


def elf64(segments, entry):
    """An ELF64 executable: its header, then one PT_LOAD per (offset, address, filesz, memsz)."""
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, 64, 0, 0, 64, 56, len(segments), 0, 0, 0)
    return eh + b"".join(struct.pack("<IIQQQQQQ", 1, 7, off, addr, addr, fs, ms, 4)
                         for (off, addr, fs, ms) in segments)


def aout(load, load_end, bss, entry):
    """A Multiboot a.out-kludge header alone (flag 16), header_addr = load_addr: a 32-byte kernel."""
    flags = 0x10000
    return struct.pack("<8I", 0x1BADB002, flags, -(0x1BADB002 + flags) & 0xFFFFFFFF, load, load, load_end, bss, entry)


def regress():
    """Empty segments and kernels named as ranges whose last byte comes before the first."""
    r = "tests/fuzz/regress"
    write("elf", "empty-segment-outside-ram", elf64([(0, 0x40000000, 0, 0)], 0x40000000), r)
    write("elf", "empty-segment-in-reserved", elf64([(0, 0x2000, 0, 0)], 0x2000), r)
    write("multiboot", "aout-empty-outside-ram", aout(0x40000000, 0x40000000, 0, 0x40000000), r)
    write("multiboot", "aout-empty-in-info-page", aout(0x9800, 0x9800, 0, 0x9800), r)
    write("multiboot", "aout-empty-entry", aout(0x100000, 0x100000, 0, 0x100000), r)


def io_input(records, fill=b"", flags=0, extra=4096 - 2352):
    """fuzz_io.c's layout: flags (records - 1 in bits 0-2), run_size extra (default: a 4096-byte run),
    records, page fill."""
    assert 1 <= len(records) <= 8
    head = bytes([(len(records) - 1) | flags]) + struct.pack("<H", extra)
    body = b"".join(struct.pack("<BBHIQ", *r) for r in records)
    return head + body + fill


def main():
    if not os.access(MKIMAGE, os.X_OK):
        sys.exit("mkseeds: build tests/mkimage first (make tests/mkimage)")
    for v in ELF_VARIANTS:
        write("elf", v, mkimage(v))
    for v in MB_VARIANTS:
        write("multiboot", v, mkimage(v))
    ok, aout, mods = mkimage("mb-elf-ok"), mkimage("mb-aout-ok"), mkimage("mb-elf-mods")
    write("multiboot", "mb-elf-ok+append", ok + SEP + b"console=ttyS0 quiet")
    write("multiboot", "mb-elf-mods+2mods", mods + SEP + b"root=/dev/fuzz" + SEP + b"first module\n" * 40 + SEP)
    write("multiboot", "mb-aout-ok+1mod", aout + SEP + SEP + bytes(range(256)))

    opts = [b"16", b"512K", b"16m", b"4G", b"1T", b"0", b"-1", b"1e3", b"18446744073709551615",
            b"0x1f00", b"0XfFfF", b"7936", b"0x",
            b"2", b"0.25", b".5", b"5.", b"1000000000", b"1000000000.5", b"0.0000000001", b"inf",
            b"real", b"protected", b"long", b"user", b"flat", b"elf", b"multiboot", b"auto", b""]
    write("options", "all", b"\0".join(opts))
    for i, o in enumerate(opts[:12]):
        write("options", "one-%02d" % i, o)

    # guest_range: RAM size, gpa, len, then 1 for the fake (never dereferenced) RAM.
    def rng(ram, gpa, length, fake):
        return struct.pack("<QQQB", ram, gpa, length, fake)
    write("range", "real-inside", rng(4096, 16, 32, 0))
    write("range", "real-top", rng(4096, 4000, 96, 0))          # ends exactly at the top
    write("range", "real-empty-at-top", rng(4096, 4096, 0, 0))
    write("range", "fake-16m-top", rng(16 << 20, (16 << 20) - 4096, 4096, 1))
    write("range", "fake-wrap", rng(16 << 20, 2**64 - 8, 16, 1))
    write("range", "fake-max", rng(2**63 - 1, 2**63 - 2, 1, 1))

    # io: (direction, size, port, count, data_offset); KVM_EXIT_IO_IN 0, OUT 1. Data after the 2352-byte run.
    d = 2400
    write("io", "com1-out", io_input([(1, 1, 0x3f8, 5, d)], b"hello"))
    write("io", "com1-regs", io_input([(1, 1, 0x3fb, 1, d), (0, 1, 0x3f8, 1, d), (0, 1, 0x3fd, 1, d),
                                       (1, 1, 0x3f9, 1, d + 1), (0, 1, 0x3fa, 1, d), (0, 4, 0x3fc, 2, d)],
                                      b"\x80\x02"))
    write("io", "exit-f8", io_input([(1, 1, 0xf8, 1, d)], b"\x03"))
    write("io", "exit-f8-wide", io_input([(1, 4, 0xf8, 1, d)], b"\x00\x01\x00\x00"))
    write("io", "exit-f4", io_input([(0, 1, 0xf4, 1, d), (1, 1, 0xf4, 1, d)], b"\x05"))
    write("io", "fwcfg", io_input([(1, 2, 0x510, 1, d), (0, 1, 0x511, 4, d), (1, 2, 0x510, 1, d + 2),
                                   (0, 4, 0x511, 8, d)], b"\x00\x00\x15\x00", flags=8))
    write("io", "unclaimed", io_input([(0, 2, 0x80, 3, d), (1, 4, 0xcf8, 1, d)], flags=8))
    write("io", "string-top", io_input([(1, 1, 0x3f8, 1696, d)], b"x"))   # the data ends at the run's last byte
    write("io", "com1-lsr", io_input([(0, 4, 0x3fc, 2, d), (0, 1, 0x3fd, 3, d), (0, 2, 0x3fd, 1, d)]))
    write("io", "short-run", io_input([(1, 1, 0x3f8, 1, 2351), (1, 1, 0x3f8, 1, 2352)], b"y", extra=0))
    write("io", "malformed", io_input([(1, 3, 0x3f8, 1, d), (2, 1, 0x3f8, 1, d), (1, 4, 0x3f8, 2**30, d),
                                       (1, 1, 0x3f8, 1, 2**64 - 1)]))
    regress()


if __name__ == "__main__":
    main()
