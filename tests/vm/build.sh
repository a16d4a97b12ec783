#!/usr/bin/env bash
# tests/vm/build.sh [DIR]: make the test host's kernel and initramfs in DIR
# (default build/testvm) from Debian packages, and print nothing else on stdout.
#
# The kernel comes from the package linux-image-amd64 depends on: the .deb is
# fetched with `apt-get download` and unpacked with `dpkg-deb -x` inside DIR, so
# the host's /boot and /lib/modules are never touched. The initramfs holds
# busybox (busybox-static), the modules that give KVM on AMD SVM and 9p over
# virtio, in load order, and tests/vm/init. Everything is kept in DIR and made
# again only when an input changes: the kernel package's version, busybox, this
# script or the init script.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../../build/testvm}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

say() { echo "testvm: $*" >&2; }
die() { echo "testvm: $*" >&2; exit 1; }

for tool in apt-get apt-cache dpkg-deb cpio gzip objcopy readelf flock sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is missing: install it (apt-get install cpio gzip binutils dpkg apt util-linux coreutils)"
done
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox is missing: apt-get install busybox-static"
# A dynamically linked busybox cannot run in an initramfs with no libc.
if ! LC_ALL=C readelf -d "$busybox" 2>/dev/null | grep -q 'There is no dynamic section'; then
	[ -x /bin/busybox ] && LC_ALL=C readelf -d /bin/busybox | grep -q 'no dynamic section' && busybox=/bin/busybox ||
		die "$busybox is dynamically linked: apt-get install busybox-static"
fi

# The kernel: the package the metapackage points at (or TESTVM_KERNEL_PKG), at
# its candidate version. Asking apt takes about 2 s, so the answer is kept in
# DIR/package until Debian's package lists change.
lists=/var/lib/apt/lists
if [ -s "$dir/package" ] && [ "$(sed -n 2p "$dir/package")" = "${TESTVM_KERNEL_PKG:-}" ] &&
   [ -z "$(find "$lists" -maxdepth 1 -newer "$dir/package" -print -quit 2>/dev/null)" ]; then
	read -r pkg version < "$dir/package"
else
	pkg=${TESTVM_KERNEL_PKG:-}
	if [ -z "$pkg" ]; then
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
		[ -n "$pkg" ] || die "apt-cache knows no linux-image-amd64: run 'apt-get update' (Debian's package lists are needed to find the kernel)"
	fi
	version=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ -n "$version" ] && [ "$version" != "(none)" ] || die "no candidate version of $pkg: run 'apt-get update'"
	printf '%s %s\n%s\n' "$pkg" "$version" "${TESTVM_KERNEL_PKG:-}" > "$dir/package"
fi

# One builder at a time (make test and make check-asan may start together).
exec 9> "$dir/lock"
flock 9 || die "cannot lock $dir/lock"

inputs=$( { echo "$pkg $version"; "$busybox" 2>&1 | head -n 1; cat "$0" "$here/init"; } | sha256sum | cut -d' ' -f1)
if [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$inputs" ] &&
   [ -f "$dir/vmlinuz" ] && [ -f "$dir/initramfs.gz" ]; then
	exit 0
fi

say "building the test host in $dir ($pkg $version, busybox, tests/vm/init)"
rm -f "$dir/stamp"
deb="$dir/${pkg}_${version//:/%3a}_amd64.deb"
if [ ! -f "$deb" ]; then
	rm -f "$dir"/linux-image-*.deb
	say "downloading $pkg $version (about 70 MB)"
	# apt drops privileges to _apt for downloads; a root-owned cache needs no warning about that.
	(cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$version" >&2) ||
		die "apt-get download $pkg=$version failed (see above)"
	[ -f "$deb" ] || deb=$(ls "$dir"/"$pkg"_*.deb 2>/dev/null | head -n 1)
	[ -f "$deb" ] || die "apt-get download left no .deb for $pkg in $dir"
fi

rm -rf "$dir/kernel" "$dir/initramfs"
dpkg-deb -x "$deb" "$dir/kernel"
vmlinuz=$(ls "$dir"/kernel/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -f "$vmlinuz" ] || die "$deb holds no /boot/vmlinuz-*"
kver=${vmlinuz##*/vmlinuz-}
moddir="$dir/kernel/lib/modules/$kver"
[ -d "$moddir" ] || die "$deb holds no /lib/modules/$kver"

# Module load order: each module after what its .modinfo 'depends=' names.
declare -A path_of=() loaded=()
while IFS= read -r -d '' ko; do
	name=${ko##*/}
	name=${name%.ko*}
	path_of[${name//-/_}]=$ko
done < <(find "$moddir" -name '*.ko*' -print0)
order=()
modinfo_field() {	# modinfo_field FILE FIELD
	local tmp="$dir/modinfo.tmp" file=$1
	case $file in
	*.ko.xz) xz -dc "$file" > "$dir/ko.tmp" && file="$dir/ko.tmp" ;;
	*.ko.zst) zstd -qdc "$file" > "$dir/ko.tmp" && file="$dir/ko.tmp" ;;
	esac
	objcopy -O binary --only-section=.modinfo "$file" "$tmp"
	tr '\0' '\n' < "$tmp" | sed -n "s/^$2=//p"
	rm -f "$tmp" "$dir/ko.tmp"
}
add_module() {
	local name=${1//-/_} dep
	[ -n "${loaded[$name]:-}" ] && return 0
	[ -n "${path_of[$name]:-}" ] || die "the kernel package has no module $name"
	loaded[$name]=1
	for dep in $(modinfo_field "${path_of[$name]}" depends | tr ',' ' '); do
		add_module "$dep"
	done
	order+=("$name")
}
for m in kvm_amd 9p 9pnet_virtio virtio_pci tun; do
	add_module "$m"
done

# The initramfs: busybox, the modules and the init script.
root="$dir/initramfs"
mkdir -p "$root"/{bin,dev,proc,sys,host,rundir,lib/modules}
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"
chmod 755 "$root/init" "$root/bin/busybox"
: > "$root/lib/modules/order"
for name in "${order[@]}"; do
	src=${path_of[$name]}
	case $src in
	*.ko.xz) xz -dc "$src" > "$root/lib/modules/$name.ko" ;;
	*.ko.zst) zstd -qdc "$src" > "$root/lib/modules/$name.ko" ;;
	*) cp "$src" "$root/lib/modules/$name.ko" ;;
	esac
	echo "$name" >> "$root/lib/modules/order"
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$dir/initramfs.gz.tmp"
mv "$dir/initramfs.gz.tmp" "$dir/initramfs.gz"
cp "$vmlinuz" "$dir/vmlinuz"
cp "$dir/kernel/boot/config-$kver" "$dir/config" 2>/dev/null
echo "$kver" > "$dir/kernel-version"
# The unpacked package (400 MB) is made again from the .deb when needed.
rm -rf "$dir/kernel" "$root"
echo "$inputs" > "$dir/stamp"
say "test host ready: kernel $kver, modules ${order[*]}"
