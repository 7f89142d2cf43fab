#!/bin/sh
# extract-vmlinux.sh VMLINUZ OUT: extract the uncompressed ELF vmlinux from a
# bzImage (like the kernel's scripts/extract-vmlinux): find the compressed
# payload by its magic, decompress with the xz/zstd/gzip CLI, keep it if ELF.
set -eu
img=$1; out=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
try() { # magic-as-\x-escapes  decompressor...
	magic=$1; shift
	for pos in $(LC_ALL=C grep -obUaP "$magic" "$img" 2>/dev/null | cut -d: -f1); do
		tail -c +$((pos + 1)) "$img" | "$@" > "$tmp/v" 2>/dev/null || true
		if [ "$(head -c 4 "$tmp/v" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
			mv "$tmp/v" "$out"; exit 0
		fi
	done
}
try '\xfd\x37\x7a\x58\x5a\x00' xz -dc
try '\x28\xb5\x2f\xfd' zstd -dc
try '\x1f\x8b\x08' gzip -dc
echo "extract-vmlinux: no ELF payload found in $img" >&2
exit 1
