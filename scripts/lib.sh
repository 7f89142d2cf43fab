# Shared helpers for pvfbt's shell scripts (sourced, not run).
: "${top:?top must be set before sourcing lib.sh}"
log() { printf 'pvfbt: %s\n' "$*" >&2; }
die() { printf 'pvfbt: error: %s\n' "$*" >&2; exit 1; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
kernels_table() { grep -v '^#' "$top/scripts/kernels.tsv" | awk 'NF >= 2'; }
default_kver() { kernels_table | awk 'NR == 1 { print $1 }'; }
all_kvers() { kernels_table | awk '{ print $1 }'; }
kernel_line() { kernels_table | awk -v k="$1" '$1 == k { print $2; f = 1 } END { exit !f }'; }
kernel_cache() { printf '%s/.cache/kernels/%s\n' "$top" "$1"; }
# The headers to build against for KVER: the installed linux-headers-KVER
# if there is one, else the copy scripts/deps.sh extracts into .cache/headers/
# (the Makefile's KDIR default says the same).
kernel_headers() {
	if [ -f "/usr/src/linux-headers-$1/Makefile" ]; then
		printf '/usr/src/linux-headers-%s\n' "$1"
	else
		printf '%s/.cache/headers/%s/usr/src/linux-headers-%s\n' "$top" "$1" "$1"
	fi
}
