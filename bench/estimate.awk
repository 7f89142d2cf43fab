# SPDX-License-Identifier: GPL-2.0
# The bench's estimator of per-hit costs (bench/guest-bench.sh, bench/run.sh).
#
# Input: one mode's "BENCH hit FN CFG V1 V2 ..." lines (ns/call of round 1,
# 2, ...; "x" for a failed repetition; with "BENCH meta unit milli-getpid",
# thousandths of a getpid call instead: callbench paired), "BENCH meta ..."
# and "BENCH note".
# Rounds are interleaved (round r ran every configuration once), so each
# round gives a paired estimate:
#   base_r  = mean of that round's baseline runs (baseline, baseline-mid, baseline2),
#   over_r  = V_r - base_r                       (ns per call),
#   ratio_r = over_r(CFG) / over_r(REF)          (REF's overhead in that round).
# A figure is the median of its rounds with the interquartile range [Q1-Q3]
# (linear interpolation).  Pairing within a round cancels what a change of
# the host's load does to all configurations of that round alike.
#
# Marks on a ratio:
#   !  noisy: Q3-Q1 > TIGHT x |median| and > 0.05 (the reference's overhead
#      as unit): the ratio is not known to better than that.
#   ~  unranked: its [Q1-Q3] overlaps that of its neighbour (above or below)
#      when the column's ratios are sorted: the two are not ranked.
#   ?  no ratio: the reference's own overhead is not clearly above the noise
#      (its Q1 <= 0 or its IQR wider than its median).
#
#   awk -f estimate.awk -v check=TIGHT FILE   (in the guest: enough rounds?)
#       prints "tight" when no ratio to the int3 kprobe is noisy or missing
#       (reference in the noise), else "loose N: CFG..." 
#   awk -f estimate.awk [-v mode=NAME] [-v tsv=FILE] FILE   (the report)
#       prints the table; with tsv, appends one line per figure (for the JSON):
#       mode fn cfg rounds median q1 q3 over over_q1 over_q3
#            then per reference (kprobe-int3, fentry, fexit): ref r q1 q3 marks

function sortn(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
# Quantile p of the n numbers in a[1..n] (sorted here), type 7.
function quant(a, n, p,   h, lo) {
	if (n < 1) return ""
	h = (n - 1) * p + 1; lo = int(h)
	return lo >= n ? a[n] : a[lo] + (h - lo) * (a[lo + 1] - a[lo])
}
# stats(LIST): sets S_n, S_med, S_q1, S_q3 from a space-separated list.
function stats(list,   a, n) {
	n = split(list, a, " "); S_n = n
	if (!n) { S_med = S_q1 = S_q3 = ""; return }
	for (i_ = 1; i_ <= n; i_++) a[i_] += 0
	sortn(a, n)
	S_med = quant(a, n, 0.5); S_q1 = quant(a, n, 0.25); S_q3 = quant(a, n, 0.75)
}
function absv(x) { return x < 0 ? -x : x }
function noisy(med, q1, q3) { return q3 - q1 > tight * absv(med) && q3 - q1 > 0.05 }
function variant(cfg) { return cfg ~ /-count$/ ? "count" : "record" }
# The reference of CFG for REF kind: kprobe-int3, or BPF fentry/fexit of
# CFG's variant (count: the counting programs; everything else records).
function refcfg(kind, cfg) { return kind == "int3" ? "kprobe-int3" : "bpf-" kind "-" variant(cfg) }
function label(cfg,   h, v) {
	if (cfg ~ /^bpf-/) {
		h = cfg; sub(/^bpf-/, "", h); v = h; sub(/-.*/, "", h); sub(/^[^-]*-/, "", v)
		return "BPF " h " (libbpf loader, " v ")"
	}
	if (cfg == "pvfbt-entry") return "pvfbt entry (int3/call, record)"
	if (cfg == "pvfbt-return") return "pvfbt return (record)"
	if (cfg == "pvfbt-both") return "pvfbt entry+return (2 hits)"
	if (cfg ~ /^pvfbt-(entry|return)-(reach|count)$/) {
		h = cfg; sub(/^pvfbt-/, "", h); v = h; sub(/-.*/, "", h); sub(/^[^-]*-/, "", v)
		return "  pvfbt " h ": " (v == "reach" ? "reaching pvfbt only" : "counted, no record")
	}
	if (cfg == "kprobe-int3") return "kprobe_events at +5, int3 (record)"
	if (cfg == "kprobe-opt") return "kprobe_events at +5, optimizer on"
	if (cfg == "kretprobe") return "kretprobe_events (record)"
	if (cfg == "kprobe-ftrace") return "kprobe_events at +0, ftrace (record)"
	if (cfg == "ftrace-function") return "ftrace function tracer (record)"
	return cfg
}

BEGIN { tight = check != "" ? check + 0 : (tight == "" ? 0.10 : tight + 0); refs = "int3 fentry fexit" }
{ sub(/\r$/, ""); $0 = $0 }
$1 == "BENCH" && $2 == "meta" { meta[$3] = $4; next }
$1 == "BENCH" && $2 == "note" { s = $0; sub(/^BENCH note [^ ]+ [^ ]+ ?/, "", s); note[$3, $4] = s; next }
$1 == "BENCH" && $2 == "hit" {
	fn = $3; cfg = $4
	if (!(fn in seenfn)) { seenfn[fn] = 1; fns[++nfn] = fn }
	if (!((fn, cfg) in seencfg)) { seencfg[fn, cfg] = 1; cfgs[fn, ++ncfg[fn]] = cfg }
	nv[fn, cfg] = NF - 4
	for (i = 5; i <= NF; i++) v[fn, cfg, i - 4] = $i
	if (NF - 4 > nr[fn]) nr[fn] = NF - 4
	next
}
END {
	for (f = 1; f <= nfn; f++) {
		fn = fns[f]
		# per-round baseline: the mean of the round's baseline runs
		for (r = 1; r <= nr[fn]; r++) {
			s = 0; k = 0
			for (c = 1; c <= ncfg[fn]; c++)
				if (cfgs[fn, c] ~ /^baseline/ && v[fn, cfgs[fn, c], r] ~ /^[0-9.]+$/) { s += v[fn, cfgs[fn, c], r]; k++ }
			base[fn, r] = k ? s / k : ""
		}
		for (c = 1; c <= ncfg[fn]; c++) {
			cfg = cfgs[fn, c]; l = ""; lo = ""
			for (r = 1; r <= nv[fn, cfg]; r++) {
				x = v[fn, cfg, r]
				if (x !~ /^[0-9.]+$/) continue
				l = l " " x
				if (base[fn, r] != "") { ov[fn, cfg, r] = x - base[fn, r]; lo = lo " " ov[fn, cfg, r] }
			}
			stats(l); N[fn, cfg] = S_n; MED[fn, cfg] = S_med; Q1[fn, cfg] = S_q1; Q3[fn, cfg] = S_q3
			stats(lo); OM[fn, cfg] = S_med; OQ1[fn, cfg] = S_q1; OQ3[fn, cfg] = S_q3
		}
		# ratios, per reference kind
		nk = split(refs, kinds, " ")
		for (kk = 1; kk <= nk; kk++) {
			kind = kinds[kk]
			for (c = 1; c <= ncfg[fn]; c++) {
				cfg = cfgs[fn, c]
				if (cfg ~ /^baseline/) continue
				ref = refcfg(kind, cfg); l = ""
				if (!((fn, ref) in seencfg)) continue
				# A reference whose overhead is not clearly above the
				# noise (its Q1 at or below 0, or its IQR wider than its
				# median) divides by noise: no ratio to it.
				if (!(OQ1[fn, ref] > 0 && OQ3[fn, ref] - OQ1[fn, ref] < OM[fn, ref])) { NOREF[kind, fn, cfg] = 1; continue }
				for (r = 1; r <= nr[fn]; r++)
					if (((fn, cfg, r) in ov) && ((fn, ref, r) in ov) && ov[fn, ref, r] > 0)
						l = l " " ov[fn, cfg, r] / ov[fn, ref, r]
				stats(l)
				if (!S_n) continue
				R[kind, fn, cfg] = S_med; RQ1[kind, fn, cfg] = S_q1; RQ3[kind, fn, cfg] = S_q3
				M[kind, fn, cfg] = noisy(S_med, S_q1, S_q3) ? "!" : ""
			}
			# ranking: sort this column's ratios, mark overlapping neighbours
			n = 0
			for (c = 1; c <= ncfg[fn]; c++) if ((kind, fn, cfgs[fn, c]) in R) rk[++n] = cfgs[fn, c]
			for (i = 2; i <= n; i++) {
				t = rk[i]
				for (j = i - 1; j >= 1 && R[kind, fn, rk[j]] > R[kind, fn, t]; j--) rk[j + 1] = rk[j]
				rk[j + 1] = t
			}
			for (i = 1; i < n; i++) {
				a = rk[i]; b = rk[i + 1]
				if (RQ3[kind, fn, a] >= RQ1[kind, fn, b]) {
					if (M[kind, fn, a] !~ /~/) M[kind, fn, a] = M[kind, fn, a] "~"
					if (M[kind, fn, b] !~ /~/) M[kind, fn, b] = M[kind, fn, b] "~"
				}
			}
		}
	}
	if (check != "") {
		bad = 0; which = ""
		for (f = 1; f <= nfn; f++) for (c = 1; c <= ncfg[fns[f]]; c++) {
			cfg = cfgs[fns[f], c]
			# noisy, or no ratio at all because the int3 kprobe's own
			# overhead is in the noise: not known yet either way
			if ((("int3", fns[f], cfg) in R && M["int3", fns[f], cfg] ~ /!/) || (("int3", fns[f], cfg) in NOREF)) { bad++; which = which " " cfg }
		}
		print bad ? "loose " bad ":" which : "tight"
		exit
	}
	env = meta["env"] != "" ? meta["env"] : mode
	if (meta["host_samples"] != "")
		printf "\n%s: the host ran another QEMU guest in %d of %d samples (every 10 s) of this boot; median load average %s\n", \
			env, meta["host_other_guest_samples"], meta["host_samples"], meta["host_load_median"]
	for (f = 1; f <= nfn; f++) {
		fn = fns[f]
		unit = meta["unit"] == "milli-getpid" ? "mgetpid" : "ns"
		printf "\n%s, %s: %d rounds (%s s, stop: %s); %s median [Q1-Q3]; +overhead over the round's baseline%s\n", \
			fn, env, nr[fn], meta["seconds_" fn] != "" ? meta["seconds_" fn] : "?", meta["stop_" fn] != "" ? meta["stop_" fn] : "?", \
			unit == "ns" ? "ns/call" : "cost", \
			unit == "ns" ? "" : " (cost in thousandths of a getpid call timed beside it: callbench paired)"
		printf "%-38s %-20s %-7s | %-21s | %-21s | %-21s\n", "configuration", unit == "ns" ? "ns/call" : "mgetpid/call", "+" unit, \
			"x int3 kprobe", "x BPF fentry (same v.)", "x BPF fexit (same v.)"
		for (c = 1; c <= ncfg[fn]; c++) {
			cfg = cfgs[fn, c]
			if (!N[fn, cfg]) { printf "%-38s %s\n", label(cfg), "- (failed)"; continue }
			printf "%-38s %-20s %-7s", label(cfg), sprintf("%.0f [%.0f-%.0f]", MED[fn, cfg], Q1[fn, cfg], Q3[fn, cfg]), \
				cfg ~ /^baseline/ ? "" : sprintf("%+.0f", OM[fn, cfg])
			line = mode " " fn " " cfg " " N[fn, cfg] " " MED[fn, cfg] " " Q1[fn, cfg] " " Q3[fn, cfg] " " \
				(cfg ~ /^baseline/ ? "- - -" : OM[fn, cfg] " " OQ1[fn, cfg] " " OQ3[fn, cfg])
			for (kk = 1; kk <= nk; kk++) {
				kind = kinds[kk]
				if ((kind, fn, cfg) in R) {
					printf " | %-21s", sprintf("%.2f [%.2f-%.2f]%s", R[kind, fn, cfg], RQ1[kind, fn, cfg], RQ3[kind, fn, cfg], M[kind, fn, cfg])
					line = line " " refcfg(kind, cfg) " " R[kind, fn, cfg] " " RQ1[kind, fn, cfg] " " RQ3[kind, fn, cfg] " " (M[kind, fn, cfg] == "" ? "-" : M[kind, fn, cfg])
				} else {
					printf " | %-21s", (kind, fn, cfg) in NOREF ? "? (ref. in noise)" : ""
					line = line " - - - - -"
				}
			}
			printf "\n"
			if (tsv != "") print line >> tsv
		}
	}
	printf "\nratio = median over rounds of (overhead / the reference's overhead in the same round) [Q1-Q3];\n"
	printf "! noisy: Q3-Q1 > %.0f%% of the ratio and > 0.05; ~ unranked: its [Q1-Q3] overlaps its neighbour's in the column's ranking;\n", tight * 100
	printf "? no ratio: the reference's overhead is within the noise (Q1 <= 0 or IQR > median)\n"
}
