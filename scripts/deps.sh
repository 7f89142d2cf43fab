#!/usr/bin/env bash
# Idempotent set-up for building and testing pvfbt on a fresh Debian 12 machine.
#
#   scripts/deps.sh [KVER]...
#
# The host: installs from Debian's archive the tools the build and the tests
# need, and fetches the Xen 4.17 hypervisor into .cache/xen/ and the pinned
# kernel's image (the host decoder tests read it).  Then, for each
# KVER (default: every row of scripts/kernels.tsv), the kernel headers to
# build against and the guest kernel (linux-image-KVER, fetched into
# .cache/kernels/KVER/, never installed).
#
# Headers: an installed linux-headers-KVER is used as it is.  Otherwise the
# headers package and its companions (linux-headers-*-common, linux-kbuild-*)
# are downloaded and extracted into .cache/headers/KVER/ (the Makefile's KDIR
# and the DKMS test find them there), and only what they need to build
# modules (the compiler, pahole) is installed.  Installing linux-headers-KVER
# through apt would install the kernel image as well: from 6.12 on the headers
# package Depends on linux-image-KVER (not a Recommends, so
# --no-install-recommends does not help), which costs minutes (100 MB of
# modules unpacked, an initramfs built, the boot loader updated).
#
# When everything is there already this is a few dpkg queries: no network.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
if (($#)); then kvers=("$@"); else mapfile -t kvers < <(all_kvers); fi
for kver in "${kvers[@]}"; do
	kernel_line "$kver" >/dev/null || die "unknown KVER '$kver' (see scripts/kernels.tsv)"
done

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
updated=0
apt_update() {
	((updated)) && return
	sudo_ apt-get update -qq
	updated=1
}
install_missing() {	# PKG...: apt-get install those not installed yet
	local p missing=()
	for p in "$@"; do installed "$p" || missing+=("$p"); done
	((${#missing[@]})) || return 0
	log "installing: ${missing[*]}"
	apt_update
	DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
download() {	# DIR PKG[=VERSION]...: the .debs into DIR (package lists refreshed if stale)
	local dir=$1 out
	shift
	out=$(cd "$dir" && apt-get download -q "$@" 2>&1) && return
	apt_update
	out=$(cd "$dir" && apt-get download -q "$@" 2>&1) && return
	printf '%s\n' "$out" | tail -n 5 >&2
	die "apt-get download $* failed"
}
deb_depends() {	# DEB: its Depends, first alternatives, one a line, NAME=VERSION when pinned
	dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/^ +//; s/ +$//' |
		sed -E 's/^([^ ]+) \(= ([^)]+)\)$/\1=\2/; s/ .*//; s/:any$//' | grep -v '^$' || true
}

# clang, bpftool, libbpf-dev, libelf-dev and zlib1g-dev: the bench's static
# BPF loader (bench/progs/bpfpeer: clang -target bpf, a bpftool skeleton,
# libbpf.a, libelf.a and libz.a).
host_pkgs=(make gcc libc6-dev libelf-dev pkg-config kmod cpio xz-utils zstd
	   busybox-static qemu-system-x86 libcapstone-dev binutils dkms
	   libdevel-nytprof-perl nodejs libbpf-dev pahole
	   clang bpftool zlib1g-dev)
install_missing "${host_pkgs[@]}"
# (a nodejs from elsewhere may bring its own npm and conflict with Debian's)
command -v npm >/dev/null || install_missing npm

# The consumer's host tests read pvfbt's pictures with real tools: folded
# stacks with Brendan Gregg's flamegraph.pl (Debian ships it in
# libdevel-nytprof-perl, above), the timeline with Chrome DevTools' trace
# engine (the Performance panel's parser, published on the npm registry),
# pinned, into .cache/npm/ (the tests then run offline).
trace_engine=@paulirish/trace_engine@0.0.65
ndir="$top/.cache/npm"
if [ ! -f "$ndir/.done-${trace_engine//[@\/]/_}" ]; then
	log "installing $trace_engine into $ndir"
	mkdir -p "$ndir"
	npm install --prefix "$ndir" --no-audit --no-fund --ignore-scripts --silent \
		"$trace_engine" >/dev/null || die "npm install $trace_engine failed"
	touch "$ndir/.done-${trace_engine//[@\/]/_}"
fi

# The Xen hypervisor: an ELF multiboot image that QEMU's -kernel loads.
xdir="$top/.cache/xen"
if [ ! -f "$xdir/xen.elf" ]; then
	log "fetching the Xen 4.17 hypervisor into $xdir"
	tmp=$(mktemp -d)
	download "$tmp" xen-hypervisor-4.17-amd64
	mkdir -p "$xdir"
	dpkg-deb -x "$tmp"/xen-hypervisor-4.17-amd64_*.deb "$tmp/x"
	gz=$(ls "$tmp"/x/boot/xen-4.17*-amd64.gz | head -n1)
	gunzip -c "$gz" >"$xdir/xen.elf.tmp" && mv "$xdir/xen.elf.tmp" "$xdir/xen.elf"
	rm -rf "$tmp"
fi

# The toolstack for tests/vm/run --xen-domu: xl, xenstored, xenconsoled,
# xen-init-dom0 and their libraries, the same version as the hypervisor,
# extracted into .cache/xen/tools-VERSION/ (never installed; the dom0's
# initramfs gets them with the host's libc and friends).  And the pinned
# 4.17.5 hypervisor for the migration test (.cache/xen/4.17.5/xen.elf):
# later bookworm builds have shadow paging compiled out, so no log-dirty
# mode and no PV live migration (Documentation/testbench.md).
xen_version() {	# ELF: the Debian version string Xen carries
	strings -a "$1" | grep -m1 -E '^4\.17\.[0-9]+\+[0-9]+-g[0-9a-f]+-' || true
}
xver=$(xen_version "$xdir/xen.elf")
[ -n "$xver" ] || die "no version string in $xdir/xen.elf"
tools_pkgs=(xen-utils-4.17 xenstore-utils libxenmisc4.17 libxencall1 libxenevtchn1
	    libxenforeignmemory1 libxengnttab1 libxenstore4 libxentoollog1 libxentoolcore1
	    libxenhypfs1 libxendevicemodel1)
if [ ! -f "$xdir/tools-$xver/.done" ]; then
	log "fetching the Xen $xver toolstack into $xdir/tools-$xver"
	tmp=$(mktemp -d)
	download "$tmp" $(printf '%s='"$xver"' ' "${tools_pkgs[@]}") libyajl2
	rm -rf "$xdir/tools-$xver.tmp" && mkdir -p "$xdir/tools-$xver.tmp"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$xdir/tools-$xver.tmp"; done
	rm -rf "$tmp" "$xdir/tools-$xver.tmp/usr/share" "$xdir/tools-$xver.tmp/usr/lib/xen-4.17/lib/python"
	[ -x "$xdir/tools-$xver.tmp/usr/lib/xen-4.17/bin/xl" ] || die "no xl in xen-utils-4.17=$xver"
	rm -rf "$xdir/tools-$xver" && mv "$xdir/tools-$xver.tmp" "$xdir/tools-$xver"
	touch "$xdir/tools-$xver/.done"
fi
[ "$(readlink "$xdir/tools")" = "tools-$xver" ] || ln -sfn "tools-$xver" "$xdir/tools"
migrate_xver=4.17.5+72-g01140da4e8-1
if [ ! -f "$xdir/4.17.5/xen.elf" ]; then
	log "fetching the Xen $migrate_xver hypervisor (shadow paging: migration) into $xdir/4.17.5"
	tmp=$(mktemp -d)
	download "$tmp" "xen-hypervisor-4.17-amd64=$migrate_xver"
	dpkg-deb -x "$tmp"/xen-hypervisor-4.17-amd64_*.deb "$tmp/x"
	grep -q '^CONFIG_SHADOW_PAGING=y' "$tmp"/x/boot/xen-4.17*-amd64.config ||
		die "xen-hypervisor-4.17-amd64=$migrate_xver has no shadow paging"
	mkdir -p "$xdir/4.17.5"
	gunzip -c "$tmp"/x/boot/xen-4.17*-amd64.gz >"$xdir/4.17.5/xen.elf.tmp" &&
		mv "$xdir/4.17.5/xen.elf.tmp" "$xdir/4.17.5/xen.elf"
	rm -rf "$tmp"
fi

# The headers for KVER, installed or extracted into .cache/headers/KVER/.
headers() {
	local kver=$1 hdir tmp d p mk companions=() tools=()
	[ -f "/usr/src/linux-headers-$kver/Makefile" ] && return
	hdir=$top/.cache/headers/$kver
	if [ -f "$hdir/.done" ]; then
		mapfile -t tools <"$hdir/.tools"
		install_missing ${tools[@]+"${tools[@]}"}
		return
	fi
	log "fetching the headers for $kver into $hdir"
	tmp=$(mktemp -d)
	download "$tmp" "linux-headers-$kver"
	for p in $(deb_depends "$tmp"/linux-headers-"$kver"_*.deb); do
		case ${p%%=*} in
		linux-headers-*|linux-kbuild-*) companions+=("$p") ;;
		linux-image-*|linux-base) ;;	# not needed to build modules
		*) tools+=("${p%%=*}") ;;
		esac
	done
	((${#companions[@]})) && download "$tmp" "${companions[@]}"
	for d in "$tmp"/*.deb; do
		for p in $(deb_depends "$d"); do
			case ${p%%=*} in
			linux-headers-*|linux-kbuild-*|linux-image-*|linux-base) ;;
			*) tools+=("${p%%=*}") ;;
			esac
		done
	done
	mapfile -t tools < <(printf '%s\n' ${tools[@]+"${tools[@]}"} | sort -u | grep -v '^$')
	install_missing ${tools[@]+"${tools[@]}"}
	rm -rf "$hdir.tmp" && mkdir -p "$hdir.tmp"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$hdir.tmp"; done
	rm -rf "$tmp"
	# Its Makefile includes the common part by absolute path (/usr/src/...):
	# make that relative to the Makefile itself.
	mk=$hdir.tmp/usr/src/linux-headers-$kver/Makefile
	[ -f "$mk" ] || die "no Makefile in linux-headers-$kver"
	sed -i 's|^include /usr/src/|include $(dir $(lastword $(MAKEFILE_LIST)))../|' "$mk"
	grep -qF "\"$kver\"" "${mk%/Makefile}/include/generated/utsrelease.h" &&
		make -s -C "${mk%/Makefile}" kernelversion >/dev/null 2>&1 ||
		die "the headers extracted into $hdir.tmp are not usable for $kver"
	printf '%s\n' ${tools[@]+"${tools[@]}"} >"$hdir.tmp/.tools"
	rm -rf "$hdir" && mv "$hdir.tmp" "$hdir" && touch "$hdir/.done"
}

# The guest kernel: image, System.map, config and modules, never installed.
image() {
	local kver=$1 kdir tmp
	kdir=$(kernel_cache "$kver")
	[ -f "$kdir/.done" ] && return
	log "fetching guest kernel $kver into $kdir"
	tmp=$(mktemp -d)
	download "$tmp" "linux-image-$kver"
	rm -rf "$kdir" && mkdir -p "$kdir"
	dpkg-deb -x "$tmp"/linux-image-"$kver"_*.deb "$kdir"
	rm -rf "$tmp"
	[ -f "$kdir/boot/vmlinuz-$kver" ] || die "no vmlinuz in linux-image-$kver"
	touch "$kdir/.done"
}

# The host decoder tests read the pinned kernel's image, whatever KVER.
image "$(default_kver)"
for kver in "${kvers[@]}"; do
	headers "$kver"
	image "$kver"
	log "deps ready for $kver (line $(kernel_line "$kver")): headers $(kernel_headers "$kver")"
done
