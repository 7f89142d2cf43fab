# Shared helpers for pvfbt's shell scripts (sourced, not run).
: "${top:?top must be set before sourcing lib.sh}"
log() { printf 'pvfbt: %s\n' "$*" >&2; }
die() { printf 'pvfbt: error: %s\n' "$*" >&2; exit 1; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
kernels_table() { grep -v '^#' "$top/scripts/kernels.tsv" | awk 'NF >= 2'; }
default_kver() { kernels_table | awk 'NR == 1 { print $1 }'; }
kernel_line() { kernels_table | awk -v k="$1" '$1 == k { print $2; f = 1 } END { exit !f }'; }
kernel_cache() { printf '%s/.cache/kernels/%s\n' "$top" "$1"; }
