#!/usr/bin/env bash
# tests/linux/build.sh [DIR]: make the guest images of the Linux-boot tests in
# DIR (default build/linux) from Debian packages, and print nothing on stdout.
#
# The kernel is the test host's (tests/vm/build.sh, which this runs first; its
# cache is TESTVM_DIR, default build/testvm). DIR gets:
#   bzImage             that kernel as Debian ships it
#   vmlinux             the ELF kernel, unpacked from the bzImage's payload here
#   vmlinux-pvh-entry   the 32-bit PVH entry of vmlinux (its Xen note of type
#                       18, XEN_ELFNOTE_PHYS32_ENTRY), in hex: 0x1000850
#   initrd.gz           newc cpio, gzip'd: static busybox, tests/linux/init as
#                       /init, the kernel's modules for pvpanic, virtio (PCI,
#                       blk, console, rng) and ext4 in /lib/modules with the
#                       order init loads them in (boot.order, ext4.order), and
#                       /payload.bin (1 MiB of seeded pseudo-random bytes)
#   payload.bin         /payload.bin, as the network tests send it
#   payload.sha256      the sha256 of /payload.bin, just the hex
#   disk.ext4           a 16 MiB ext4 file system (no partition table) holding
#                       /payload.bin, for the virtio-blk tests; tests copy it
#   disk.sha256         the sha256 of disk.ext4, just the hex
# Everything is made again only when an input changes (this script, the init,
# busybox's version, the kernel); two builds at once take turns on DIR/lock.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checkout=$(cd "$here/../.." && pwd)
dir=${1:-$checkout/build/linux}
testvm=${TESTVM_DIR:-$checkout/build/testvm}
exec >&2	# nothing of ours or of the tools' goes to stdout

say() { echo "linux-images: $*" >&2; }
die() { echo "linux-images: $*" >&2; exit 1; }

need() {	# need PACKAGE TOOL...
	local pkg=$1 tool
	shift
	for tool in "$@"; do
		command -v "$tool" >/dev/null || die "$tool is missing: apt-get install $pkg"
	done
}
need coreutils sha256sum od head tail cut tr sort touch stat dd
need binutils readelf
need xz-utils xz
need gzip gzip
need cpio cpio
need dpkg dpkg-deb
need tar tar
need mawk awk
need findutils find
need grep grep
need sed sed
need util-linux flock
need binutils objcopy
# mkfs.ext4 and debugfs live in /sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
need e2fsprogs mkfs.ext4 debugfs
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox is missing: apt-get install busybox-static"
# A dynamically linked busybox cannot run in an initramfs with no libc.
if ! LC_ALL=C readelf -d "$busybox" 2>/dev/null | grep 'There is no dynamic section' >/dev/null; then
	[ -x /bin/busybox ] && LC_ALL=C readelf -d /bin/busybox 2>/dev/null | grep 'no dynamic section' >/dev/null && busybox=/bin/busybox ||
		die "$busybox is dynamically linked: apt-get install busybox-static"
fi

"$here/../vm/build.sh" "$testvm" || die "tests/vm/build.sh could not make the kernel (see above)"
kernel=$testvm/vmlinuz
[ -f "$kernel" ] && [ -s "$testvm/kernel-version" ] || die "tests/vm/build.sh left no $kernel"
kver=$(cat "$testvm/kernel-version")
deb=$(ls "$testvm"/linux-image-*.deb 2>/dev/null | head -n 1)
[ -f "$deb" ] || die "no kernel package (linux-image-*.deb) in $testvm: remove $testvm/stamp and run again"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
exec 9> "$dir/lock"
flock 9 || die "cannot lock $dir/lock"

inputs=$( { cat "$0" "$here/init"; { "$busybox" 2>&1 || true; } | sed -n 1p; mkfs.ext4 -V 2>&1 | sed -n 1p; echo "$kver ${deb##*/}"; cat "$kernel"; } | sha256sum | cut -d' ' -f1)
if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$inputs" ]; then
	for f in bzImage vmlinux vmlinux-pvh-entry initrd.gz payload.bin payload.sha256 disk.ext4 disk.sha256; do
		[ -s "$dir/$f" ] || break
	done
	[ -s "$dir/$f" ] && exit 0
fi

say "making the Linux guest images in $dir (kernel $kver)"
rm -f "$dir/stamp"
tmp=$dir/tmp
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

# --- vmlinux: the payload of the bzImage, decompressed ---
u8() { od -An -v -t u1 -j "$1" -N 1 "$kernel" | tr -d ' \n'; }	# u8 OFFSET
le32() { od -An -v -t u1 "$@" | awk '{ print $1 + 256 * ($2 + 256 * ($3 + 256 * $4)) }'; }	# le32 [-j OFFSET] -N 4 FILE
cut_bytes() { dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=64K status=none; }	# FILE OFFSET LENGTH
u32() { le32 -j "$1" -N 4 "$kernel"; }	# u32 OFFSET: little-endian
[ "$(od -An -v -t x1 -j 0x1fe -N 2 "$kernel" | tr -d ' \n')" = 55aa ] &&
[ "$(od -An -v -c -j 0x202 -N 4 "$kernel" | tr -d ' \n')" = HdrS ] ||
	die "$kernel is not a bzImage (no 55aa boot flag and HdrS setup header)"
proto=$(( $(u8 $((0x206))) + 256 * $(u8 $((0x207))) ))
[ "$proto" -ge $((0x208)) ] || die "$kernel has boot protocol $(printf '%#x' "$proto"): payload_offset needs 2.08"
setup_sects=$(u8 $((0x1f1)))
[ "$setup_sects" -ne 0 ] || setup_sects=4
payload=$(( (setup_sects + 1) * 512 + $(u32 $((0x248))) ))
length=$(u32 $((0x24c)))
[ "$length" -gt 4 ] && [ $((payload + length)) -le "$(stat -c %s "$kernel")" ] ||
	die "$kernel: payload ($length bytes at $payload) is not inside the file"
# The payload is the compressed stream followed by the kernel's size_append:
# the decompressed size, 4 bytes little-endian.
cut_bytes "$kernel" "$payload" "$length" > "$tmp/payload"
head -c $((length - 4)) "$tmp/payload" > "$tmp/payload.stream"
tail -c 4 "$tmp/payload" > "$tmp/payload.size"
magic=$(od -An -v -t x1 -N 6 "$tmp/payload" | tr -d ' \n')
case $magic in
fd377a585a00) unpack=(xz -dc --single-stream) ;;
1f8b*) unpack=(gzip -dc) ;;
28b52ffd*)
	need zstd zstd
	unpack=(zstd -qdc) ;;
*) die "$kernel: payload compressed with an unsupported method (magic $magic; xz, gzip and zstd are known)" ;;
esac
"${unpack[@]}" < "$tmp/payload.stream" > "$tmp/vmlinux" || die "$kernel: ${unpack[0]} could not decompress the payload"
[ "$(stat -c %s "$tmp/vmlinux")" = "$(le32 -N 4 "$tmp/payload.size")" ] ||
	die "$kernel: the payload decompressed to $(stat -c %s "$tmp/vmlinux") bytes, not the $(le32 -N 4 "$tmp/payload.size") it says"
[ "$(od -An -v -t x1 -N 5 "$tmp/vmlinux" | tr -d ' \n')" = 7f454c4602 ] ||
	die "$kernel: the payload is not a 64-bit ELF file"

# The PVH entry: in a PT_NOTE segment, the note named "Xen" of type 18. Its
# descriptor is a pointer (8 bytes in a 64-bit kernel) holding a 32-bit address.
entry=
while read -r off size; do
	e=$(cut_bytes "$tmp/vmlinux" $((off)) $((size)) | od -An -v -t u1 | awk '
		{ for (i = 1; i <= NF; i++) b[n++] = $i }
		function le32(p) { return b[p] + 256 * (b[p+1] + 256 * (b[p+2] + 256 * b[p+3])) }
		END {
			p = 0
			while (p + 12 <= n) {
				namesz = le32(p); descsz = le32(p + 4); type = le32(p + 8)
				name = ""
				for (i = 0; i < namesz && b[p + 12 + i] != 0; i++) name = name sprintf("%c", b[p + 12 + i])
				d = p + 12 + int((namesz + 3) / 4) * 4
				if (name == "Xen" && type == 18 && descsz >= 4 && d + descsz <= n) {
					if (descsz == 8 && le32(d + 4) != 0) { print "high"; exit }
					printf "0x%x\n", le32(d); exit
				}
				p = d + int((descsz + 3) / 4) * 4
			}
		}')
	[ "$e" != high ] || die "$kernel: the PVH entry note holds an address above 4 GiB"
	[ -z "$e" ] || { entry=$e; break; }
done < <(LC_ALL=C readelf -W -l "$tmp/vmlinux" | awk '$1 == "NOTE" { print $2, $5 }')
[ -n "$entry" ] || die "$kernel has no PVH entry (no Xen ELF note of type 18, XEN_ELFNOTE_PHYS32_ENTRY): it needs CONFIG_PVH=y"

# --- initrd.gz ---
root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
cp "$busybox" "$root/bin/busybox"
applets=" $("$busybox" --list | tr '\n' ' ') "
for a in sh echo cat mount umount poweroff reboot halt sleep dd date grep sha256sum head tr printf uname sync mkdir insmod stty setsid cttyhack \
	ls wc cmp od awk seq rm sort tail rmmod adjtimex basename readlink ip ping nc cut; do
	case $applets in
	*" $a "*) ln -s busybox "$root/bin/$a" ;;
	*)
		case $a in
		stty|setsid|cttyhack) ;;	# the init does without them
		*) die "$busybox has no '$a' applet: apt-get install busybox-static" ;;
		esac ;;
	esac
done
cp "$here/init" "$root/init"

# This kernel's modules, uncompressed (busybox insmod wants .ko), and the
# order to load them in: boot.order at every boot (pvpanic's, virtio's),
# ext4.order before mounting a file system. A module absent from the package
# is built in (or this kernel lacks it: the test that needs it says so).
# Dependencies are each module's depends= (its .modinfo section, what modinfo
# and depmod read); the crc32c that jbd2 and ext4 name as a soft dependency
# ("crypto-crc32c") is crc32c_generic, listed first.
boot_mods=(drivers/misc/pvpanic/pvpanic drivers/misc/pvpanic/pvpanic-mmio drivers/misc/pvpanic/pvpanic-pci
	drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
	drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci drivers/block/virtio_blk
	drivers/char/virtio_console drivers/char/hw_random/virtio-rng
	drivers/net/net_failover net/core/failover drivers/net/virtio_net drivers/virtio/virtio_balloon)
ext4_mods=(crypto/crc32c_generic lib/crc16 lib/libcrc32c fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4)
kdir=./lib/modules/$kver/kernel
dpkg-deb --fsys-tarfile "$deb" | tar -t > "$tmp/files" || die "cannot list $deb"
want=()
for m in "${boot_mods[@]}" "${ext4_mods[@]}"; do
	for ext in "" .xz .gz .zst; do
		grep -Fx "$kdir/$m.ko$ext" "$tmp/files" >/dev/null && want+=("$kdir/$m.ko$ext")
	done
done
[ ${#want[@]} -eq 0 ] || dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "${want[@]}" || die "cannot unpack the modules from $deb"
# unpack GROUP PATH...: uncompress each module present into the initramfs;
# found[GROUP] lists their module names (name=, with underscores),
# file_of[NAME] is the file's base name, deps_of[NAME] its dependencies.
declare -A file_of=() deps_of=() found=()
unpack() {
	local group=$1 m ko name
	shift
	for m in "$@"; do
		for ko in "$tmp/$kdir/$m".ko*; do
			[ -f "$ko" ] || continue
			name=${m##*/}
			case $ko in
			*.ko) cp "$ko" "$root/lib/modules/$name.ko" ;;
			*.ko.xz) xz -dc "$ko" > "$root/lib/modules/$name.ko" ;;
			*.ko.gz) gzip -dc "$ko" > "$root/lib/modules/$name.ko" ;;
			*.ko.zst) need zstd zstd; zstd -qdc "$ko" > "$root/lib/modules/$name.ko" ;;
			esac
			objcopy -O binary --only-section=.modinfo "$root/lib/modules/$name.ko" "$tmp/modinfo" ||
				die "$ko: cannot read its .modinfo section"
			local info modname deps
			info=$(tr '\0' '\n' < "$tmp/modinfo")
			modname=$(sed -n 's/^name=//p' <<< "$info")
			deps=$(sed -n 's/^depends=//p' <<< "$info")
			[ -n "$modname" ] || modname=${name//-/_}
			file_of[$modname]=$name
			deps_of[$modname]=${deps//,/ }
			found[$group]+=" $modname"
		done
	done
}
unpack boot "${boot_mods[@]}"
unpack ext4 "${ext4_mods[@]}"
# order GROUP: the group's modules, each after those it depends on (a
# dependency outside the list is built in, or in the boot group for ext4).
order() {
	local group=$1 loaded=" ${2:-} " left m d ready progress
	left=${found[$group]:-}
	while [ -n "${left// /}" ]; do
		progress=
		local next=
		for m in $left; do
			ready=1
			for d in ${deps_of[$m]}; do
				[ -n "${file_of[$d]:-}" ] && [[ $loaded != *" $d "* ]] && ready=
			done
			if [ -n "$ready" ]; then
				echo "${file_of[$m]}"
				loaded+="$m "
				progress=1
			else
				next+=" $m"
			fi
		done
		[ -n "$progress" ] || die "modules with circular or missing dependencies:$next"
		left=$next
	done
}
order boot > "$root/lib/modules/boot.order"
order ext4 "${found[boot]:-}" > "$root/lib/modules/ext4.order"
[ -f "$root/lib/modules/pvpanic.ko" ] || say "note: $deb has no pvpanic modules; the panic test loads none"
[ -f "$root/lib/modules/virtio_pci.ko" ] || say "note: $deb has no virtio_pci module: built in, or the virtio tests fail"

# 1 MiB from the Park-Miller generator (seed 1), the high 8 of its 31 bits.
LC_ALL=C awk 'BEGIN { x = 1; for (i = 0; i < 1048576; i++) { x = (x * 16807) % 2147483647; printf "%c", int(x / 8388608) % 256 } }' > "$root/payload.bin"
[ "$(stat -c %s "$root/payload.bin")" = 1048576 ] || die "awk wrote $(stat -c %s "$root/payload.bin") bytes of payload, not 1048576 (it needs an awk whose printf \"%c\" writes NUL bytes: apt-get install mawk)"
sha256sum "$root/payload.bin" | cut -d' ' -f1 > "$tmp/payload.sha256"
cp "$root/payload.bin" "$tmp/payload.bin"

# --- disk.ext4: the payload in a small ext4 file system, the same bytes on
# every build: a fixed UUID and hash seed, mke2fs.conf ignored (its features
# are named here, all of them known to Linux 4.x and later), the clock fixed
# (E2FSPROGS_FAKE_TIME) and every inode's times set to 0 afterwards (-d takes
# the ctime and atime from now and the copied file).
mkdir -p "$tmp/fs"
cp "$root/payload.bin" "$tmp/fs/payload.bin"
chmod 755 "$tmp/fs"
chmod 644 "$tmp/fs/payload.bin"
touch -d @0 "$tmp/fs" "$tmp/fs/payload.bin"
: > "$tmp/mke2fs.conf"
MKE2FS_CONFIG=$tmp/mke2fs.conf E2FSPROGS_FAKE_TIME=1 mkfs.ext4 -q -F -t ext4 -T default -b 1024 -I 256 -N 64 -J size=1 -m 0 \
	-O has_journal,extent,huge_file,flex_bg,metadata_csum,64bit,dir_nlink,extra_isize,sparse_super,filetype,resize_inode,dir_index,ext_attr \
	-U 6b766d72-756e-4076-8972-746573740001 -E hash_seed=6b766d72-756e-4076-8972-746573740002,root_owner=0:0 \
	-L kvmrun-test -d "$tmp/fs" "$tmp/disk.ext4" 16M > /dev/null || die "mkfs.ext4 could not make the test disk"
for f in / /lost+found /payload.bin; do
	for t in atime ctime mtime crtime; do
		echo "set_inode_field $f $t 0"
	done
done | E2FSPROGS_FAKE_TIME=1 debugfs -w -f - "$tmp/disk.ext4" > "$tmp/debugfs.log" 2>&1 || die "debugfs could not set the test disk's times: $(cat "$tmp/debugfs.log")"
[ "$(debugfs -R 'cat /payload.bin' "$tmp/disk.ext4" 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$(cat "$tmp/payload.sha256")" ] ||
	die "the test disk's /payload.bin is not the payload (debugfs -R 'cat /payload.bin' $tmp/disk.ext4)"
sha256sum "$tmp/disk.ext4" | cut -d' ' -f1 > "$tmp/disk.sha256"

# Deterministic: fixed modes and times, sorted names, owner root.
find "$root" -type d -exec chmod 755 {} +
find "$root" -type f -exec chmod 644 {} +
chmod 755 "$root/init" "$root/bin/busybox"
find "$root" -exec touch -h -d @0 {} +
repro=
cpio --help 2>/dev/null | grep -- --reproducible >/dev/null && repro=--reproducible
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 $repro) | gzip -9n > "$tmp/initrd.gz"

# --- into place, the stamp last ---
cp "$kernel" "$tmp/bzImage"
echo "$entry" > "$tmp/vmlinux-pvh-entry"
for f in bzImage vmlinux vmlinux-pvh-entry initrd.gz payload.bin payload.sha256 disk.ext4 disk.sha256; do
	mv -f "$tmp/$f" "$dir/$f"
done
echo "$inputs" > "$dir/stamp"
say "Linux guest images ready: kernel $kver, PVH entry $entry, modules: $(cd "$root/lib/modules" && cat boot.order ext4.order | tr '\n' ' ')"
