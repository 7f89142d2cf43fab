#!/usr/bin/env bash
# Idempotent set-up for building and testing pvfbt on a fresh Debian 12 machine.
#
#   scripts/deps.sh [KVER]
#
# Installs from Debian's archive what the build and the guests need, and
# fetches (without installing) the guest kernel image and the Xen hypervisor
# into .cache/.  KVER defaults to the first row of scripts/kernels.tsv.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
kver=${1:-$(default_kver)}
line=$(kernel_line "$kver") || die "unknown KVER '$kver' (see scripts/kernels.tsv)"

host_pkgs=(make gcc libc6-dev libelf-dev pkg-config kmod cpio xz-utils zstd
	   busybox-static qemu-system-x86 libcapstone-dev binutils
	   linux-headers-"$kver")
missing=()
for p in "${host_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing: ${missing[*]}"
	sudo_ apt-get update -qq
	DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The guest kernel: image, System.map, config and modules, never installed.
kdir=$(kernel_cache "$kver")
if [ ! -f "$kdir/.done" ]; then
	log "fetching guest kernel $kver into $kdir"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q "linux-image-$kver" >/dev/null 2>&1) ||
		die "apt-get download linux-image-$kver failed"
	rm -rf "$kdir" && mkdir -p "$kdir"
	dpkg-deb -x "$tmp"/linux-image-"$kver"_*.deb "$kdir"
	rm -rf "$tmp"
	[ -f "$kdir/boot/vmlinuz-$kver" ] || die "no vmlinuz in linux-image-$kver"
	touch "$kdir/.done"
fi

# The Xen hypervisor: an ELF multiboot image that QEMU's -kernel loads.
xdir="$top/.cache/xen"
if [ ! -f "$xdir/xen.elf" ]; then
	log "fetching the Xen 4.17 hypervisor into $xdir"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q xen-hypervisor-4.17-amd64 >/dev/null 2>&1) ||
		die "apt-get download xen-hypervisor-4.17-amd64 failed"
	mkdir -p "$xdir"
	dpkg-deb -x "$tmp"/xen-hypervisor-4.17-amd64_*.deb "$tmp/x"
	gz=$(ls "$tmp"/x/boot/xen-4.17*-amd64.gz | head -n1)
	gunzip -c "$gz" >"$xdir/xen.elf.tmp" && mv "$xdir/xen.elf.tmp" "$xdir/xen.elf"
	rm -rf "$tmp"
fi
log "deps ready for $kver (line $line)"
