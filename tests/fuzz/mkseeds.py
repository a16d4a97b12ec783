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
    "mb-aout-low", "mb-aout-truncated", "mb-bad-checksum",
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


# fuzz_linux.c reads the input's last four bytes as its choices: ncpus, initrd, command line, RAM.
def linux_params(mem=0, cmdline=2, initrd=0, cpus=0):
    """mem: index into fuzz_linux.c's mems[] (0 = 192M, 1 = 128M, 3 = 2M, 7 = 5G), or 8 | k << 4 for
    (k + 1) * 128K (k = 0: 36K); cmdline: index into cmdlens[] (2 = 13 bytes); initrd: index into isizes[] (0 = none)."""
    return bytes([cpus, initrd, cmdline, mem])


def bzimage(params, setup_sects=1, version=0x020F, jump=0x6A, xloadflags=1, loadflags=1, cmdline_size=2047,
            initrd_max=0x7FFFFFFF, init_size=0x200000, pref=0x1000000, payload=b"\xfd7zXZ\x00", payload_offset=0x40,
            syssize=None, size=None):
    """A synthetic bzImage (Documentation/x86/boot.rst): the setup header in (setup_sects + 1) sectors, then a
    protected-mode kernel of payload_offset zero bytes, the payload's magic and padding, and params last."""
    sects = setup_sects or 4
    kernel = bytes(payload_offset) + payload + bytes(16) + params
    setup = bytearray((sects + 1) * 512)
    setup[0x1F1] = setup_sects
    struct.pack_into("<I", setup, 0x1F4, (len(kernel) + 15) // 16 if syssize is None else syssize)
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)
    setup[0x200] = 0xEB                                   # jmp short: the header ends at 0x202 + jump
    setup[0x201] = jump
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, version)
    setup[0x211] = loadflags
    struct.pack_into("<I", setup, 0x22C, initrd_max)
    struct.pack_into("<I", setup, 0x230, 0x200000)         # kernel_alignment
    setup[0x234] = 1                                      # relocatable_kernel
    struct.pack_into("<H", setup, 0x236, xloadflags)
    struct.pack_into("<I", setup, 0x238, cmdline_size)
    struct.pack_into("<I", setup, 0x248, payload_offset)
    struct.pack_into("<I", setup, 0x24C, len(payload))
    struct.pack_into("<Q", setup, 0x258, pref)
    struct.pack_into("<I", setup, 0x260, init_size)
    data = bytes(setup) + kernel
    return data if size is None else data[:size]


def note(name, ntype, desc):
    pad = lambda b: b + bytes(-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), ntype) + pad(name) + pad(desc)


def pvh_vmlinux(params, entry=0x1000000, addr=0x1000000, filesz=0x40, memsz=0x1000, notes=None):
    """An ELF64 vmlinux: one PT_LOAD of filesz bytes at addr (memsz in RAM) and a PT_NOTE with a Xen
    XEN_ELFNOTE_PHYS32_ENTRY (type 18) note giving entry (e_entry is addr), then params last."""
    if notes is None:
        notes = note(b"Xen\0", 18, struct.pack("<I", entry))
    notes_off = 64 + 2 * 56
    seg_off = (notes_off + len(notes) + 15) & ~15
    eh = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    eh += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, addr, 64, 0, 0, 64, 56, 2, 0, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 7, seg_off, addr, addr, filesz, memsz, 0x1000)
    ph += struct.pack("<IIQQQQQQ", 4, 4, notes_off, 0, 0, len(notes), len(notes), 4)
    body = eh + ph + notes
    body += bytes(seg_off - len(body)) + bytes((i * 7) & 0xFF for i in range(filesz))
    return body + params


def linux():
    """fuzz_linux seeds: synthetic bzImage headers and PVH vmlinux files, a few KB each; nothing from a
    real kernel."""
    p = linux_params
    write("linux", "bz-xz", bzimage(p()))
    write("linux", "bz-xz-initrd-1m", bzimage(p(initrd=5, cmdline=5)))
    write("linux", "bz-gzip-setup0-5g", bzimage(p(mem=7, initrd=4), setup_sects=0, payload=b"\x1f\x8b\x08\x00"))
    write("linux", "bz-elf-payload-128m", bzimage(p(mem=1, initrd=1, cpus=3), payload=b"\x7fELF\x02\x01"))
    write("linux", "bz-zstd-initrd-max", bzimage(p(mem=2, initrd=5), payload=b"\x28\xb5\x2f\xfd",
                                                 initrd_max=0x1FFFFFF))
    write("linux", "bz-init-size-256m", bzimage(p(mem=7), init_size=0x10000000, pref=0))
    write("linux", "bz-pref-high", bzimage(p(mem=5, initrd=3), pref=0x3000000, init_size=0x800000))
    write("linux", "bz-proto-2.11", bzimage(p(), version=0x020B))
    write("linux", "bz-32bit", bzimage(p(), xloadflags=0))
    write("linux", "bz-zimage", bzimage(p(), loadflags=0))
    write("linux", "bz-cmdline-255", bzimage(p(cmdline=4), cmdline_size=255))
    write("linux", "bz-jump-ff", bzimage(p(initrd=2), jump=0xFF))
    write("linux", "bz-jump-6", bzimage(p(), jump=6, version=0x0200))   # the header ends at 0x208, as 2.00's
    write("linux", "bz-syssize-big", bzimage(p(), syssize=0x100))
    write("linux", "bz-no-payload", bzimage(p(), payload=b"\x00\x01"))
    write("linux", "bz-ram-2m", bzimage(p(mem=8 | 15 << 4), init_size=0x1000))
    write("linux", "bz-truncated", bzimage(p(), size=0x268))
    write("linux", "pvh", pvh_vmlinux(p()))
    write("linux", "pvh-initrd-2m", pvh_vmlinux(p(initrd=6, cmdline=9)))
    write("linux", "pvh-desc8", pvh_vmlinux(p(mem=5), notes=note(b"Xen\0", 18, struct.pack("<Q", 0x1000000))))
    write("linux", "pvh-notes", pvh_vmlinux(p(mem=5, initrd=1), notes=note(b"GNU\0", 3, bytes(20)) +
                                            note(b"Xen\0", 1, b"xen-3.0\0") +
                                            note(b"Xen\0", 18, struct.pack("<I", 0x1000010))))
    write("linux", "pvh-entry-outside", pvh_vmlinux(p(), entry=0x2000000))
    write("linux", "pvh-low-segment", pvh_vmlinux(p(mem=8 | 15 << 4, initrd=5), entry=0x40000, addr=0x40000))
    write("linux", "elf-no-note", pvh_vmlinux(p(), notes=note(b"GNU\0", 3, bytes(20))))
    write("linux", "pvh-ram-36k", pvh_vmlinux(p(mem=8), entry=0x1000, addr=0x1000))
    write("linux", "pvh-initrd-too-big", pvh_vmlinux(p(mem=3, initrd=7), addr=0x100000, entry=0x100000))
    # One mutation from the reproducer regress/linux/pvh-initrd-over-tables: a vmlinux below 1 MiB.
    write("linux", "pvh-low-segment-1536k", pvh_vmlinux(p(mem=8 | 11 << 4, initrd=4), entry=0x40000, addr=0x40000))


def bz_header_only(size):
    """The boot sector's and setup header's magic, a jump byte of 0 (the header ends at 0x202), nothing else."""
    d = bytearray(size)
    struct.pack_into("<H", d, 0x1FE, 0xAA55)
    d[0x202:0x206] = b"HdrS"
    return bytes(d)


def regress():
    """Empty segments and kernels named as ranges whose last byte comes before the first."""
    r = "tests/fuzz/regress"
    write("elf", "empty-segment-outside-ram", elf64([(0, 0x40000000, 0, 0)], 0x40000000), r)
    write("elf", "empty-segment-in-reserved", elf64([(0, 0x2000, 0, 0)], 0x2000), r)
    write("multiboot", "aout-empty-outside-ram", aout(0x40000000, 0x40000000, 0, 0x40000000), r)
    write("multiboot", "aout-empty-in-info-page", aout(0x9800, 0x9800, 0, 0x9800), r)
    write("multiboot", "aout-empty-entry", aout(0x100000, 0x100000, 0, 0x100000), r)
    # boot/linux.c bz_check() reads the version at 0x206 of a 0x206-byte file (ASan: heap-buffer-overflow).
    write("linux", "bz-version-past-end", bz_header_only(0x206), r)
    # The header ends at 0x208 (jump byte 6) but says protocol 2.15: bz_check() calls 2.15 "too old".
    write("linux", "bz-header-short-proto-2.15", bzimage(linux_params(), jump=6), r)
    # pvh_load() puts a 1 MiB initrd at 0x60000 in 1408K of RAM, over the EBDA, ACPI and MP tables, when the
    # vmlinux ends below 1 MiB; with 2 MiB at 0x1000, over the GDT, hvm_start_info and the command line.
    write("linux", "pvh-initrd-over-tables", pvh_vmlinux(linux_params(mem=8 | 10 << 4, initrd=5), entry=0x40000,
                                                         addr=0x40000), r)
    # pvh_load() reports a 64K command line (put_cmdline refuses it) as "RAM is too small for the boot data".
    write("linux", "pvh-cmdline-64k", pvh_vmlinux(linux_params(cmdline=12)), r)
    write("linux", "pvh-initrd-over-gdt", pvh_vmlinux(linux_params(mem=8 | 15 << 4, initrd=6), entry=0, addr=0), r)


def io_input(records, fill=b"", flags=0, extra=4096 - 2352):
    """fuzz_io.c's layout: flags (records - 1 in bits 0-2), run_size extra (default: a 4096-byte run),
    records, page fill."""
    assert 1 <= len(records) <= 8
    head = bytes([(len(records) - 1) | flags]) + struct.pack("<H", extra)
    body = b"".join(struct.pack("<BBHIQ", *r) for r in records)
    return head + body + fill


def virtq_input(ram, size=8, flags=1, pops=1, last_avail=0, used_idx=0, desc=0, avail=0x100, used=0x200,
                copy_off=0, copy_len=64):
    """fuzz_virtq.c's layout: size (1 << (size mod 10) unless flags bit 2), flags, pops - 1, last_avail,
    used_idx, the three rings' addresses, iov_copy's offset and length, then RAM's first bytes."""
    return struct.pack("<HBBHHQQQII", size, flags, pops - 1, last_avail, used_idx, desc, avail, used,
                       copy_off, copy_len) + bytes(ram)


def virtq():
    """Split-virtqueue seeds: RAM with the descriptors at 0, the driver ring at 0x100, the device ring at
    0x200, an indirect table at 0x300 and buffers from 0x800 (size code 3: a queue of 8)."""
    def desc(ram, at, addr, length, flags, nxt):
        ram[at:at + 16] = struct.pack("<QIHH", addr, length, flags, nxt)

    def avail(ram, heads, idx=None, at=0x100):
        ram[at:at + 4] = struct.pack("<HH", 0, len(heads) if idx is None else idx)
        for i, h in enumerate(heads):
            ram[at + 4 + 2 * i:at + 6 + 2 * i] = struct.pack("<H", h)

    def ram_with(n=0x900):
        r = bytearray(n)
        r[0x800:0x810] = struct.pack("<IIQ", 0, 0, 0)       # a block request's header
        return r

    r = ram_with()
    desc(r, 0, 0x800, 16, 1, 1)                               # header, readable
    desc(r, 16, 0x810, 512, 3, 2)                             # data, writable
    desc(r, 32, 0xa10, 1, 2, 0)                               # status byte
    avail(r, [0])
    write("virtq", "read-3", virtq_input(r, size=3))

    r = ram_with()
    desc(r, 0, 0x300, 48, 4, 0)                               # the same through an indirect table
    desc(r, 0x300, 0x800, 16, 1, 1)
    desc(r, 0x310, 0x810, 512, 3, 2)
    desc(r, 0x320, 0xa10, 1, 2, 0)
    avail(r, [0])
    write("virtq", "indirect-3", virtq_input(r, size=3, copy_off=4, copy_len=20))

    r = ram_with()
    desc(r, 0, 0x800, 16, 1, 1)
    desc(r, 16, 0x800, 16, 1, 0)                              # 1 -> 0: a loop
    avail(r, [0])
    write("virtq", "loop", virtq_input(r, size=3))

    r = ram_with()
    desc(r, 0, 0x800, 16, 1, 1)
    desc(r, 16, 0x810, 8, 2, 0)
    desc(r, 32, 0x820, 4, 0, 0)
    desc(r, 48, 0x830, 4, 2, 0)
    avail(r, [0, 2, 3])                                       # three chains, taken one by one
    write("virtq", "three-chains", virtq_input(r, size=3, pops=4))

    r = ram_with()
    desc(r, 0, 0x800, 16, 1, 1)
    desc(r, 16, 0x810, 16, 2, 0)
    avail(r, [0] * 8, idx=0)                                  # last_avail 0xffff, idx 0: one available
    write("virtq", "wrap", virtq_input(r, size=3, last_avail=0xffff, used_idx=0xfffe))

    r = ram_with()
    desc(r, 0, 0x800, 16, 1, 1)
    desc(r, 16, 2**32 + 0x100, 0x200, 2, 0)                  # a buffer in high RAM
    avail(r, [0])
    write("virtq", "split-ram", virtq_input(r, size=3, flags=1 | 2 | 64, used=0x8200))

    r = bytearray(0x300 + 258 * 16)
    desc(r, 0, 0x300, 258 * 16, 4, 0)                         # 258 buffers: the most a chain holds
    for i in range(258):
        desc(r, 0x300 + 16 * i, 0x10000 - 512 + i, 1, (2 if i else 0) | (1 if i < 257 else 0), i + 1)
    avail(r, [0])
    write("virtq", "indirect-258", virtq_input(r, size=3, copy_len=1))

    r = bytearray(0x300 + 258 * 16)
    desc(r, 0, 0x800, 16, 1, 1)                               # a header, then 258 more: one too many
    desc(r, 16, 0x300, 258 * 16, 4, 0)
    for i in range(258):
        desc(r, 0x300 + 16 * i, 0x10000 - 512 + i, 1, 2 | (1 if i < 257 else 0), i + 1)
    avail(r, [0])
    write("virtq", "chain-259", virtq_input(r, size=3))

    r = ram_with()
    avail(r, [0], idx=9)                                      # 9 available in a queue of 8
    write("virtq", "too-many", virtq_input(r, size=3))
    write("virtq", "size-3", virtq_input(ram_with(), size=3, flags=1 | 4))

    r = ram_with()                                            # 128 MiB of RAM (flags bit 7)
    desc(r, 0, 0x800, 16, 1, 1)
    desc(r, 16, 0x100000, 100 << 20, 2, 0)                    # 100 MiB: more than a chain may hold
    avail(r, [0])
    write("virtq", "big-chain", virtq_input(r, size=3, flags=1 | 0x80))
    desc(r, 16, 0x100000, 60 << 20, 2, 0)                     # 60 MiB: fine
    write("virtq", "big-buffer", virtq_input(r, size=3, flags=1 | 0x80))


def gdb_packet(data):
    """One remote-protocol packet: $DATA#cs."""
    return b"$" + data + b"#%02x" % (sum(data) & 0xff)


def gdb():
    """fuzz_gdb: vCPUs - 1, the read size - 1, then what gdb sends (fuzz_gdb.c)."""
    def session(ncpus, chunk, packets, raw=b""):
        return bytes([ncpus - 1, chunk - 1]) + b"".join(gdb_packet(p) for p in packets) + raw
    attach = [b"qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386", b"vMustReplyEmpty",
              b"QStartNoAckMode", b"Hg0", b"qXfer:features:read:target.xml:0,ffb", b"qXfer:features:read:target.xml:ffb,ffb",
              b"qfThreadInfo", b"qsThreadInfo", b"qC", b"qAttached", b"?"]
    write("gdb", "attach", session(1, 256, attach))
    write("gdb", "registers", session(2, 7, attach + [b"g", b"p10", b"P10=0020000000000000", b"p18", b"P0=01",
                                                    b"G" + b"00" * 600, b"Hg2", b"g", b"T2", b"T3"]))
    write("gdb", "memory", session(1, 64, attach + [b"m1000,10", b"M1000,4:deadbeef", b"m1000,4", b"mffff,2",
                                                  b"m1fffe,4", b"m7ffffff,1", b"m0,800"]))
    write("gdb", "breakpoints", session(1, 3, attach + [b"Z0,1000,1", b"Z0,1000,1", b"Z0,1001,1", b"m1000,2",
                                                      b"Z1,2000,1", b"Z2,3000,4", b"Z4,3008,8", b"Z2,3001,4",
                                                      b"Z3,3000,4", b"z0,1000,1", b"vCont;s:1", b"vCont;c",
                                                      b"z1,2000,1", b"z2,3000,4", b"Z0,30000,1", b"D"]))
    write("gdb", "run-stop-kill", session(4, 256, [b"?", b"c", b"", b"s", b"Hc-1", b"vCont?", b"vCont;c:1;s:2",
                                                   b"vCont;C05;S05:3", b"k"], b"\x03$g#00-+"))
    write("gdb", "framing", session(1, 1, [b"qFoo", b"X1000,0:", b"m1000,4"],
                                    b"+-\x03$g#zz$" + b"a" * 5000 + b"#00" + b"$?#3f"))


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
    virtq()
    linux()
    gdb()
    regress()


if __name__ == "__main__":
    main()
