#!/usr/bin/env bash
# pvfbt benchmark (make bench): per-hit cost against kprobes, ftrace and
# BPF (fentry, fexit, kprobe, kretprobe through a static libbpf loader),
# enable/disable time, drain rate and drop onset, natively and under Xen PV.
#
#   bench/run.sh [KVER]
#   bench/run.sh --report DATE-KVER-native.txt DATE-KVER-xen.txt
#                (table and JSON again from kept guest output)
#
# One guest boot per mode (--native, then --xen); every figure of a mode is
# measured in that one boot against a baseline of the same boot.  Prints a
# table (both modes side by side) and writes bench/results/DATE-KVER.json;
# the raw guest output is kept next to it (DATE-KVER-MODE.txt).
# Environment: BENCH_MODES ("native xen"), BENCH_REPS (5: the least number
# of interleaved rounds per function), BENCH_MAX_REPS (15), BENCH_BUDGET_S
# (300: seconds per function after which no new round starts), BENCH_TIGHT
# (0.10: a ratio whose interquartile range is wider than that share of it is
# noisy; rounds go on until none is, see bench/estimate.awk), BENCH_INNER (3:
# timed loops per configuration and round, the fastest counts), BENCH_PARTS
# (hit,arm,drain), BENCH_N_NATIVE (50000), BENCH_N_XEN (20000): calls per
# repetition of the hit loops, BENCH_PAIRED (1: each loop timed against
# getpid in pairs a few ms apart, figures in thousandths of a getpid call,
# see bench/progs/callbench.c; 0: plain loops, ns per call).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
report=
if [ "${1:-}" = --report ]; then
	shift
	report=1
	files=("$@")
	(($#)) || die "--report needs guest output files"
	base=${1%-*.txt}
	date=${base##*/}; date=${date%%Z-*}Z
	kver=$(sed -n 's/^BENCH meta kernel //p' "$1" | head -n 1)
fi
[ -n "$report" ] || {
kver=${1:-$(default_kver)}
modes=${BENCH_MODES:-native xen}
reps=${BENCH_REPS:-5}
max_reps=${BENCH_MAX_REPS:-15}
budget=${BENCH_BUDGET_S:-300}
tight=${BENCH_TIGHT:-0.10}
inner=${BENCH_INNER:-3}
paired=${BENCH_PAIRED:-1}
parts=${BENCH_PARTS:-hit,arm,drain}

make -s -C "$top/bench/progs"
[ -f "$top/build/$kver/pvfbt.ko" ] || die "no build/$kver/pvfbt.ko: run 'make KVER=$kver' first"
results=$top/bench/results
mkdir -p "$results"
date=$(date -u +%Y-%m-%dT%H%M%SZ)
base=$results/$date-$kver
adds=()
for f in "$top"/bench/{guest-bench.sh,estimate.awk} "$top"/bench/progs/{callbench,pvfbt-arm,nsnow,cpurun,bpfpeer}; do
	adds+=(--add "$f")
done

files=()
t_start=$SECONDS
for mode in $modes; do
	case $mode in
	native) n=${BENCH_N_NATIVE:-50000} ;;
	xen) n=${BENCH_N_XEN:-20000} ;;
	*) die "unknown mode '$mode'" ;;
	esac
	out=$base-$mode.txt
	log "bench: $mode guest ($kver), $reps-$max_reps rounds (${budget} s per function) x $n calls per figure; output in ${out#$top/}"
	t0=$SECONDS
	rc=0
	# What else the host ran meanwhile: every 10 s the load average and
	# the number of QEMU processes (this run's guest is one of them).
	( while sleep 10; do
		printf '%s %s %s\n' "$(date +%s)" "$(cut -d' ' -f1 /proc/loadavg)" "$(pgrep -c '^qemu-system' || true)"
	  done ) >"$base-$mode.host" &
	sampler=$!
	PVFBT_VM_LOG=$base-$mode.console "$top/tests/vm/run" --"$mode" --kver "$kver" --timeout 1500 \
		"${adds[@]}" -- sh /extra/guest-bench.sh "$n" "$n" "$reps" "$parts" "$max_reps" "$budget" "$tight" "$inner" "$paired" >"$out" 2>&1 || rc=$?
	kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
	echo "BENCH meta status $rc" >>"$out"
	hf=$base-$mode.host
	{ echo "BENCH meta host_samples $(wc -l <"$hf")"
	  echo "BENCH meta host_other_guest_samples $(awk '$3 > 1' "$hf" | wc -l)"
	  echo "BENCH meta host_load_median $(cut -d' ' -f2 "$hf" | sort -n | awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : "-" }')"
	} >>"$out"
	rm -f "$base-$mode.host"
	echo "BENCH meta seconds $((SECONDS - t0))" >>"$out"
	((rc == 0)) || log "bench: the $mode run failed (status $rc); its partial figures are kept: see $out"
	grep -q '^BENCH done' "$out" || log "bench: the $mode run did not finish"
	files+=("$out")
done
log "bench: guests took $((SECONDS - t_start)) s"
}

# Per-hit figures: bench/estimate.awk, one table per mode (and its figures
# for the JSON); then the other parts' table and the JSON from the BENCH
# lines of every mode.
est=$(mktemp)
trap 'rm -f "$est"' EXIT
{
printf '\npvfbt bench, kernel %s, %s (QEMU TCG: compare within one mode only)\n' "$kver" "$date"
printf '\n1. Cost per hit: ns per call, overhead, and ratios of overheads\n'
for f in "${files[@]}"; do
	mode=${f%.txt}; mode=${mode##*-}
	awk -f "$top/bench/estimate.awk" -v mode="$mode" -v tsv="$est" -v tight="${BENCH_TIGHT:-0.10}" "$f"
done
} | tee "$base.table"
awk -v kver="$kver" -v date="$date" -v json="$base.json" '
function median(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	if (!n) return ""
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function minmax(s, which,   a, n, i, m) {
	n = split(s, a, " "); m = ""
	for (i = 1; i <= n; i++) if (m == "" || (which == "min" ? a[i] + 0 < m : a[i] + 0 > m)) m = a[i] + 0
	return m
}
function jstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
function jnum(v) { return v == "" ? "null" : v + 0 }
function kv(line, key,   a, n, i) {	# value after KEY in a line of key value pairs
	n = split(line, a, " ")
	for (i = 1; i < n; i++) if (a[i] == key) return a[i + 1]
	return ""
}
FILENAME == estfile { e = $1 SUBSEP $2 SUBSEP $3; est[e] = $0; next }
FNR == 1 { mode = FILENAME; sub(/\.txt$/, "", mode); sub(/.*-/, "", mode); modes[++nm] = mode }
# The Xen console ends lines with CR: a trailing "\r" field would count as a 0.
{ sub(/\r$/, ""); $0 = $0 }
$1 != "BENCH" { next }
$2 == "meta" { meta[mode, $3] = $4; metakeys[$3] = 1; next }
$2 == "hit" {
	k = mode SUBSEP $3 SUBSEP $4
	v = ""; for (i = 5; i <= NF; i++) v = v " " $i
	vals[k] = substr(v, 2)
	if ($4 ~ /^baseline/) base[mode, $3] = base[mode, $3] " " substr(v, 2)
	if (!(($3, $4) in seen)) { seen[$3, $4] = 1; order[++no] = $3 SUBSEP $4 }
	next
}
$2 == "note" { k = mode SUBSEP $3 SUBSEP $4; s = $0; sub(/^BENCH note [^ ]+ [^ ]+ ?/, "", s); note[k] = s; next }
$2 == "arm" { arm[mode, ++narm[mode]] = $0; next }
$2 == "drainrate" { dr[mode, ++ndr[mode]] = $0; next }
$2 == "drain" { dn[mode, ++ndn[mode]] = $0; next }
END {
	# ---- enable/disable
	printf "\n2. Enable + disable of entry probes (ms; TCG)\n"
	printf "%-58s", "what"
	for (m = 1; m <= nm; m++) printf " | %-32s", meta[modes[m], "env"] != "" ? meta[modes[m], "env"] : modes[m]
	printf "\n"
	nrows = split("pvfbt-ioctl:1000 pvfbt-cli:1 pvfbt-cli:1000 kprobe-opt0:1000 kprobe-opt1:1000 pvfbt-ioctl:all pvfbt-ioctl:all-again pvfbt-ioctl:all-returns pvfbt-ioctl:all-returns-again pvfbt-cli:all", rows, " ")
	label["pvfbt-ioctl:1000"] = "pvfbt ioctl, 1000 fns: enable / disable / jumps (median of 3)"
	label["pvfbt-cli:1"] = "pvfbt CLI -d 0.001, 1 probe: whole run (median of 3)"
	label["pvfbt-cli:1000"] = "pvfbt CLI -d 0.001, 1000 x -n: whole run"
	label["kprobe-opt0:1000"] = "kprobe_events int3, 1000: define/enable/disable/remove"
	label["kprobe-opt1:1000"] = "kprobe_events optimized, 1000: def/en/dis/remove"
	label["pvfbt-ioctl:all"] = "pvfbt ioctl, every eligible entry, first: en / dis / jumps"
	label["pvfbt-ioctl:all-again"] = "... again, sites exist (median of 3): en / dis / jumps"
	label["pvfbt-ioctl:all-returns"] = "pvfbt ioctl, every eligible return, first: en / dis / jumps"
	label["pvfbt-ioctl:all-returns-again"] = "... again, sites exist (median of 3): en / dis / jumps"
	label["pvfbt-cli:all"] = "pvfbt CLI -d 0.001 -n fbt:::entry: whole run"
	for (r = 1; r <= nrows; r++) {
		split(rows[r], p, ":"); tool = p[1]; set = p[2]
		printf "%-58s", label[rows[r]]
		for (m = 1; m <= nm; m++) {
			mo = modes[m]; e = ""; d = ""; tt = ""; jj = ""; n = 0; cell = "-"
			for (i = 1; i <= narm[mo]; i++) {
				split(arm[mo, i], a, " ")
				if (a[3] != tool || a[4] != set) continue
				n++; probes = a[5]
				e = e " " kv(arm[mo, i], "enable_ns"); d = d " " kv(arm[mo, i], "disable_ns"); tt = tt " " kv(arm[mo, i], "total_ns")
				jj = jj " " kv(arm[mo, i], "jumps_ns")
				last = arm[mo, i]
			}
			if (n && tool == "pvfbt-ioctl") cell = sprintf("%.0f / %.0f / %.0f (%d)", median(e) / 1e6, median(d) / 1e6, median(jj) / 1e6, probes)
			else if (n && tool == "pvfbt-cli") cell = sprintf("%.0f (%d probes)", median(tt) / 1e6, probes)
			else if (n) cell = sprintf("%.0f/%.0f/%.0f/%.0f opt %d", kv(last, "define_ns") / 1e6, kv(last, "enable_ns") / 1e6, kv(last, "disable_ns") / 1e6, kv(last, "remove_ns") / 1e6, kv(last, "optimized"))
			printf " | %-32s", cell
		}
		printf "\n"
	}
	# ---- drain
	printf "\n3. Consumer drain rate and drop onset (getppid entry+return probes)\n"
	printf "%-58s", "what"
	for (m = 1; m <= nm; m++) printf " | %-32s", meta[modes[m], "env"] != "" ? meta[modes[m], "env"] : modes[m]
	printf "\n"
	printf "%-58s", "drain rate of a full ring, records/s (stopped consumer)"
	for (m = 1; m <= nm; m++) {
		mo = modes[m]; r0 = 0; n0 = 0; rr = 0; nn = 0; recs = 0
		for (i = 1; i <= ndr[mo]; i++) {
			split(dr[mo, i], a, " ")
			if (a[3] == 1) { r0 += kv(dr[mo, i], "ns"); n0++ } else { rr += kv(dr[mo, i], "ns"); recs += kv(dr[mo, i], "records"); nn++ }
		}
		rate[mo] = nn && n0 && rr / nn > r0 / n0 ? (recs / nn) / ((rr / nn - r0 / n0) / 1e9) : ""
		printf " | %-32s", rate[mo] == "" ? "-" : sprintf("%.0f (%d records)", rate[mo], recs / nn)
	}
	printf "\n"
	for (i = 1; i <= 6; i++) {
		row = ""
		for (m = 1; m <= nm; m++) if (i <= ndn[modes[m]]) { split(dn[modes[m], i], a, " "); row = sprintf("ring %d records/cpu, %d loop(s): hits/s, dropped", a[3], a[4]) }
		if (row == "") continue
		printf "%-58s", row
		for (m = 1; m <= nm; m++) {
			mo = modes[m]; l = dn[mo, i]
			if (l == "") { printf " | %-32s", "-"; continue }
			h = kv(l, "hits"); w = kv(l, "wall_ns"); dd = kv(l, "drops")
			printf " | %-32s", sprintf("%.0f/s, %.1f%%", w > 0 ? h / (w / 1e9) : 0, h > 0 ? 100 * dd / h : 0)
		}
		printf "\n"
	}

	# ---- JSON
	printf "{\n  \"kernel\": %s,\n  \"date\": %s,\n  \"modes\": [", jstr(kver), jstr(date) > json
	for (m = 1; m <= nm; m++) {
		mo = modes[m]
		printf "%s\n    {\n      \"mode\": %s,\n      \"meta\": {", (m > 1 ? "," : ""), jstr(mo) > json
		sep = ""
		for (key in metakeys) if ((mo, key) in meta) { printf "%s%s: %s", sep, jstr(key), jstr(meta[mo, key]) > json; sep = ", " }
		printf "},\n      \"hits\": [" > json
		sep = ""
		for (o = 1; o <= no; o++) {
			split(order[o], p, SUBSEP); k = mo SUBSEP p[1] SUBSEP p[2]
			if (!(k in vals)) continue
			s = vals[k]; gsub(/ /, ", ", s); gsub(/x/, "null", s)
			e = est[mo, p[1], p[2]]; ne = split(e, ef, " ")
			printf "%s\n        {\"call\": %s, \"config\": %s, \"ns_per_call\": [%s], \"rounds\": %s, \"median\": %s, \"q1\": %s, \"q3\": %s, \"overhead_ns\": %s, \"overhead_q1\": %s, \"overhead_q3\": %s, \"ratios\": {", \
				sep, jstr(p[1]), jstr(p[2]), s, jnum(ef[4]), jnum(ef[5]), jnum(ef[6]), jnum(ef[7]), jnum(ef[8] == "-" ? "" : ef[8]), jnum(ef[9] == "-" ? "" : ef[9]), jnum(ef[10] == "-" ? "" : ef[10]) > json
			rs = ""
			for (j = 11; j + 4 <= ne; j += 5) {
				if (ef[j] == "-") continue
				printf "%s%s: {\"median\": %s, \"q1\": %s, \"q3\": %s, \"noisy\": %s, \"unranked\": %s}", rs, jstr(ef[j]), jnum(ef[j + 1]), jnum(ef[j + 2]), jnum(ef[j + 3]), \
					ef[j + 4] ~ /!/ ? "true" : "false", ef[j + 4] ~ /~/ ? "true" : "false" > json
				rs = ", "
			}
			printf "}, \"note\": %s}", jstr(note[k]) > json
			sep = ","
		}
		printf "\n      ],\n      \"arm\": [" > json
		for (i = 1; i <= narm[mo]; i++) {
			n = split(arm[mo, i], a, " ")
			printf "%s\n        {\"tool\": %s, \"set\": %s, \"probes\": %s", (i > 1 ? "," : ""), jstr(a[3]), jstr(a[4]), jnum(a[5]) > json
			for (j = 6; j < n; j += 2) printf ", %s: %s", jstr(a[j]), jnum(a[j + 1]) > json
			printf "}" > json
		}
		printf "\n      ],\n      \"drain_rate_records_per_s\": %s,\n      \"drainrate\": [", jnum(rate[mo]) > json
		for (i = 1; i <= ndr[mo]; i++) {
			n = split(dr[mo, i], a, " ")
			printf "%s\n        {\"calls\": %s", (i > 1 ? "," : ""), jnum(a[3]) > json
			for (j = 4; j < n; j += 2) printf ", %s: %s", jstr(a[j]), jnum(a[j + 1]) > json
			printf "}" > json
		}
		printf "\n      ],\n      \"drops\": [" > json
		for (i = 1; i <= ndn[mo]; i++) {
			n = split(dn[mo, i], a, " ")
			printf "%s\n        {\"ring_records\": %s, \"loops\": %s", (i > 1 ? "," : ""), jnum(a[3]), jnum(a[4]) > json
			for (j = 5; j < n; j += 2) printf ", %s: %s", jstr(a[j]), jnum(a[j + 1]) > json
			printf "}" > json
		}
		printf "\n      ]\n    }" > json
	}
	printf "\n  ]\n}\n" > json
}' estfile="$est" "$est" "${files[@]}" | tee -a "$base.table"
log "bench: JSON in ${base#$top/}.json, table in ${base#$top/}.table"
