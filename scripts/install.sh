#!/usr/bin/env bash
# Install pvfbt: the consumer, its man page and the module for one kernel.
#
#   scripts/install.sh [DESTDIR=DIR] [PREFIX=/usr/local] [KVER=VER]
#
# (the same settings are also read from the environment).  Installs
#   userspace/pvfbt          -> $DESTDIR$PREFIX/sbin/pvfbt
#   userspace/pvfbt.8        -> $DESTDIR$PREFIX/share/man/man8/pvfbt.8
#   build/KVER/pvfbt.ko      -> $DESTDIR/lib/modules/KVER/updates/pvfbt.ko
# then runs depmod KVER, unless DESTDIR is set (a staging tree: the packager
# runs depmod).  KVER defaults to the first row of scripts/kernels.tsv, as
# for `make`; KVER=none installs no module.  Nothing is built here: run
# `make KVER=...` first.  For a module that follows kernel upgrades, use
# DKMS instead (dkms.conf).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

DESTDIR=${DESTDIR-} PREFIX=${PREFIX:-/usr/local} KVER=${KVER-}
for a in "$@"; do
	case $a in
	DESTDIR=*) DESTDIR=${a#DESTDIR=} ;;
	PREFIX=*) PREFIX=${a#PREFIX=} ;;
	KVER=*) KVER=${a#KVER=} ;;
	-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$a' (see --help)" ;;
	esac
done
[ -n "$KVER" ] || KVER=$(default_kver)
PREFIX=${PREFIX:-/usr/local}	# PREFIX= (empty, as make may pass it) is the default
case $PREFIX in /*) ;; *) die "PREFIX must be an absolute path, not '$PREFIX'" ;; esac
case $DESTDIR in ''|/*) ;; *) die "DESTDIR must be an absolute path, not '$DESTDIR'" ;; esac

bin=$top/userspace/pvfbt man=$top/userspace/pvfbt.8 ko=$top/build/$KVER/pvfbt.ko
[ -x "$bin" ] || die "no $bin: run 'make userspace' first"
[ -f "$man" ] || die "no $man"
if [ "$KVER" != none ]; then
	[ -f "$ko" ] || die "no $ko: run 'make module KVER=$KVER' first"
	vm=$(modinfo -F vermagic "$ko" 2>/dev/null | awk '{ print $1 }')
	[ "$vm" = "$KVER" ] || die "$ko is built for '${vm:-?}', not $KVER"
fi

inst() {	# mode src dst
	install -D -m "$1" "$2" "$3"
	log "installed $3"
}
inst 0755 "$bin" "$DESTDIR$PREFIX/sbin/pvfbt"
inst 0644 "$man" "$DESTDIR$PREFIX/share/man/man8/pvfbt.8"
if [ "$KVER" != none ]; then
	inst 0644 "$ko" "$DESTDIR/lib/modules/$KVER/updates/pvfbt.ko"
	if [ -z "$DESTDIR" ]; then
		command -v depmod >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
		depmod -a "$KVER"
		log "depmod $KVER done: 'modprobe pvfbt' loads it when $KVER runs"
	fi
fi
