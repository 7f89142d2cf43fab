// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the pvfbt consumer's pure parts: probe descriptions,
 * probe selection, histograms, latency pairing, formatting and the ring
 * drainer (fed with fake rings).  KTAP output.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "pvfbt.h"
#include "aggregate.h"
#include "btf.h"
#include "drain.h"
#include "kofile.h"
#include "ksym.h"
#include "latency.h"
#include "output.h"
#include "syscall.h"
#include "select.h"
#include "spec.h"

static int failed_checks;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		failed_checks++;					\
	}								\
} while (0)

#define CHECK_EQ_U(a, b) do {						\
	unsigned long long _a = (a), _b = (b);				\
	if (_a != _b) {							\
		printf("# %s:%d: %s == %llu, expected %s == %llu\n",	\
		       __FILE__, __LINE__, #a, _a, #b, _b);		\
		failed_checks++;					\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (strcmp(_a, _b)) {						\
		printf("# %s:%d: got '%s', expected '%s'\n",		\
		       __FILE__, __LINE__, _a, _b);			\
		failed_checks++;					\
	}								\
} while (0)

/* ------------------------------------------------------------------ */
/* Probe descriptions */

static void parse_ok(const char *t, const char *p, const char *m, const char *f,
		     const char *n)
{
	struct spec s;
	int err = spec_parse(t, &s);

	CHECK_EQ_U(err, SPEC_OK);
	if (err)
		return;
	CHECK_STR(s.provider, p);
	CHECK_STR(s.module, m);
	CHECK_STR(s.function, f);
	CHECK_STR(s.name, n);
	spec_free(&s);
}

static void test_spec_fields(void)
{
	parse_ok("sys_getppid", "", "", "sys_getppid", "");
	parse_ok("vfs_read:entry", "", "", "vfs_read", "entry");
	parse_ok("vmlinux:vfs_read:return", "", "vmlinux", "vfs_read", "return");
	parse_ok("fbt:vmlinux:vfs_read:entry", "fbt", "vmlinux", "vfs_read", "entry");
	parse_ok("fbt::sys_*:entry", "fbt", "", "sys_*", "entry");
}

static void test_spec_empty_fields(void)
{
	struct spec s;

	parse_ok("fbt:::", "fbt", "", "", "");
	parse_ok("fbt::sys_getppid:", "fbt", "", "sys_getppid", "");
	parse_ok(":::entry", "", "", "", "entry");
	parse_ok("::", "", "", "", "");
	CHECK(spec_parse("fbt::sys_getppid:", &s) == SPEC_OK);
	CHECK(spec_match(&s, "vmlinux", "__x64_sys_getppid", 0));
	CHECK(spec_match(&s, "vmlinux", "__x64_sys_getppid", 1));
	CHECK(!spec_match(&s, "vmlinux", "__x64_sys_getpid", 0));
	spec_free(&s);
	CHECK(spec_parse("fbt:::", &s) == SPEC_OK);
	CHECK(spec_match(&s, "ext4", "ext4_file_read_iter", 0));
	CHECK(spec_match(&s, "vmlinux", "vfs_read", 1));
	spec_free(&s);
}

static void test_spec_globs(void)
{
	struct spec s;

	CHECK(spec_parse("fbt:vmlinux:vfs_*:entry", &s) == SPEC_OK);
	CHECK(spec_match(&s, "vmlinux", "vfs_read", 0));
	CHECK(spec_match(&s, "vmlinux", "vfs_write", 0));
	CHECK(!spec_match(&s, "vmlinux", "vfs_read", 1));
	CHECK(!spec_match(&s, "ext4", "vfs_read", 0));
	CHECK(!spec_match(&s, "vmlinux", "do_vfs_read", 0));
	spec_free(&s);
	CHECK(spec_parse("vfs_rea?:ret*", &s) == SPEC_OK);
	CHECK(spec_match(&s, "vmlinux", "vfs_read", 1));
	CHECK(!spec_match(&s, "vmlinux", "vfs_read", 0));
	CHECK(!spec_match(&s, "vmlinux", "vfs_readv", 1));
	spec_free(&s);
	CHECK(spec_parse("ext?:*read*:", &s) == SPEC_OK);
	CHECK(spec_match(&s, "ext4", "ext4_file_read_iter", 0));
	CHECK(!spec_match(&s, "vmlinux", "ext4_file_read_iter", 0));
	spec_free(&s);
	/* No FNM_PATHNAME: '*' crosses '/' (and '.'). */
	CHECK(func_glob_match("a*b", "a/x.y/b"));
	CHECK(func_glob_match("*", ".cold"));
}

static void test_spec_sys_alias(void)
{
	struct spec s;

	CHECK(func_glob_match("sys_*", "__x64_sys_read"));
	CHECK(func_glob_match("sys_*", "sys_read"));
	CHECK(func_glob_match("sys_getppid", "__x64_sys_getppid"));
	CHECK(func_glob_match("sys_getppid", "sys_getppid"));
	CHECK(func_glob_match("sys_getp?id", "__x64_sys_getppid"));
	CHECK(!func_glob_match("sys_getppid", "__x64_sys_getppidx"));
	CHECK(!func_glob_match("sys_getppid", "__ia32_sys_getppid"));
	CHECK(!func_glob_match("sys_getppid", "__x64_sys_getpid"));
	CHECK(!func_glob_match("*sys_getppid", "__ia32_sys_getpid"));
	CHECK(func_glob_match("*sys_getppid", "__ia32_sys_getppid"));
	CHECK(func_glob_match("__x64_sys_getppid", "__x64_sys_getppid"));
	/* Only a pattern starting with sys_ is an alias. */
	CHECK(!func_glob_match("x_sys_*", "__x64_sys_read"));
	CHECK(!func_glob_match("ys_*", "__x64_sys_read"));
	CHECK(spec_parse("sys_getppid", &s) == SPEC_OK);
	CHECK(spec_match(&s, "vmlinux", "__x64_sys_getppid", 0));
	CHECK(spec_match(&s, "vmlinux", "__x64_sys_getppid", 1));
	spec_free(&s);
	CHECK(spec_parse("fbt::sys_*:entry", &s) == SPEC_OK);
	CHECK(spec_match(&s, "vmlinux", "__x64_sys_read", 0));
	CHECK(!spec_match(&s, "vmlinux", "__x64_sys_read", 1));
	CHECK(!spec_match(&s, "vmlinux", "ksys_read", 0));
	spec_free(&s);
}

static void test_spec_malformed(void)
{
	struct spec s;

	CHECK_EQ_U(spec_parse("fbt:vmlinux:vfs_read:entry:x", &s), SPEC_TOO_MANY);
	CHECK_EQ_U(spec_parse("::::", &s), SPEC_TOO_MANY);
	CHECK_EQ_U(spec_parse("", &s), SPEC_EMPTY);
	CHECK_EQ_U(spec_parse("fbt::vfs_read:enter", &s), SPEC_BAD_NAME);
	CHECK_EQ_U(spec_parse("vfs_read:foo", &s), SPEC_BAD_NAME);
	CHECK_EQ_U(spec_parse("vfs_read:ENTRY", &s), SPEC_BAD_NAME);
	CHECK_EQ_U(spec_parse("vfs_read:x*", &s), SPEC_BAD_NAME);
	CHECK(strstr(spec_strerror(SPEC_TOO_MANY), "fields") != NULL);
	/* A glob that can match entry or return is fine. */
	CHECK_EQ_U(spec_parse("vfs_read:*", &s), SPEC_OK);
	spec_free(&s);
	CHECK_EQ_U(spec_parse("vfs_read:e*", &s), SPEC_OK);
	spec_free(&s);
}

static void test_spec_provider(void)
{
	struct spec s;

	CHECK(spec_parse("syscall::read:entry", &s) == SPEC_OK);
	CHECK(!spec_match(&s, "vmlinux", "read", 0));
	spec_free(&s);
	CHECK(spec_parse("fb?::vfs_read:entry", &s) == SPEC_OK);
	CHECK(spec_match(&s, "vmlinux", "vfs_read", 0));
	spec_free(&s);
	CHECK(spec_parse("*::vfs_read:entry", &s) == SPEC_OK);
	CHECK(spec_match(&s, "vmlinux", "vfs_read", 0));
	spec_free(&s);
}

/* ------------------------------------------------------------------ */
/* Catalogue and selection */

static void add_func(struct catalogue *c, uint32_t fid, const char *mod,
		     const char *name, unsigned er, unsigned rr, unsigned flags)
{
	struct pvfbt_func *f;

	c->funcs = realloc(c->funcs, (c->nr + 1) * sizeof(*c->funcs));
	f = &c->funcs[c->nr++];
	memset(f, 0, sizeof(*f));
	f->fid = fid;
	f->entry_reason = er;
	f->return_reason = rr;
	f->flags = flags;
	strncpy(f->module, mod, sizeof(f->module));
	/* A name exactly PVFBT_NAME_LEN long is not NUL-terminated. */
	strncpy(f->name, name, sizeof(f->name));
}

static void fake_catalogue(struct catalogue *c)
{
	memset(c, 0, sizeof(*c));
	add_func(c, 0, "vmlinux", "__x64_sys_getppid", 0, 0, 0);
	add_func(c, 1, "vmlinux", "vfs_read", 0, 0, 0);
	add_func(c, 2, "vmlinux", "vfs_write", 0, PVFBT_EXCL_NO_RETURN, 0);
	add_func(c, 3, "vmlinux", "do_int3", PVFBT_EXCL_TRAP_PATH,
		 PVFBT_EXCL_TRAP_PATH, 0);
	add_func(c, 5, "ext4", "ext4_file_read_iter", 0, 0, 0);	/* fid gap */
	add_func(c, 4, "gonemod", "gone_fn", 0, 0, PVFBT_FUNC_GONE);
	add_func(c, 6, "vmlinux", "__x64_sys_read", 0, 0, 0);
	CHECK(cat_index(c) == 0);
}

static void test_select(void)
{
	struct catalogue c;
	struct spec sp[4];
	struct selection sel;
	char name[400];

	fake_catalogue(&c);
	CHECK(cat_fid(&c, 5) && !strcmp(cat_fid(&c, 5)->name, "ext4_file_read_iter"));
	CHECK(cat_fid(&c, 7) == NULL);
	CHECK(spec_parse("sys_getppid", &sp[0]) == 0);
	CHECK(spec_parse("fbt::vfs_*:", &sp[1]) == 0);
	CHECK(spec_parse("vfs_read:entry", &sp[2]) == 0);	/* overlaps */
	CHECK(spec_parse("fbt::do_int3:", &sp[3]) == 0);
	CHECK(select_probes(&c, sp, 4, &sel) == 0);
	/* getppid 0,1; vfs_read 2,3; vfs_write entry 4 (return excluded) */
	CHECK_EQ_U(sel.nr, 5);
	if (sel.nr == 5) {
		CHECK_EQ_U(sel.ids[0], 0);
		CHECK_EQ_U(sel.ids[1], 1);
		CHECK_EQ_U(sel.ids[2], 2);
		CHECK_EQ_U(sel.ids[3], 3);
		CHECK_EQ_U(sel.ids[4], 4);
	}
	CHECK_EQ_U(sel.usable[0], 2);
	CHECK_EQ_U(sel.usable[1], 3);
	CHECK_EQ_U(sel.excluded[1], 1);
	CHECK_EQ_U(sel.usable[2], 1);
	CHECK_EQ_U(sel.usable[3], 0);	/* "no probes match" */
	CHECK_EQ_U(sel.excluded[3], 2);
	CHECK(selection_has(&sel, 4));
	CHECK(!selection_has(&sel, 5));
	selection_free(&sel);

	/* A gone module's probes are excluded. */
	spec_free(&sp[0]);
	CHECK(spec_parse(":gonemod::", &sp[0]) == 0);
	CHECK(select_probes(&c, sp, 1, &sel) == 0);
	CHECK_EQ_U(sel.nr, 0);
	CHECK_EQ_U(sel.excluded[0], 2);
	selection_free(&sel);

	probe_fullname(name, sizeof(name), &c, 11);
	CHECK_STR(name, "fbt:ext4:ext4_file_read_iter:return");
	probe_fullname(name, sizeof(name), &c, 0);
	CHECK_STR(name, "fbt:vmlinux:__x64_sys_getppid:entry");
	probe_fullname(name, sizeof(name), &c, 99);
	CHECK_STR(name, "fbt:?:#99:return");
	CHECK_STR(reason_str(PVFBT_EXCL_BLACKLIST), "kprobe-blacklist");
	CHECK_STR(reason_str(1000), "unknown");
	for (int i = 0; i < 4; i++)
		spec_free(&sp[i]);
	cat_free(&c);
}

static void test_long_name(void)
{
	struct catalogue c;
	char longname[PVFBT_NAME_LEN + 1], buf[600], want[600];
	struct spec s;
	struct selection sel;

	memset(&c, 0, sizeof(c));
	memset(longname, 'x', PVFBT_NAME_LEN);
	longname[PVFBT_NAME_LEN] = '\0';
	add_func(&c, 0, "vmlinux", longname, 0, 0, 0);
	CHECK(cat_index(&c) == 0);
	probe_fullname(buf, sizeof(buf), &c, 0);
	snprintf(want, sizeof(want), "fbt:vmlinux:%s:entry", longname);
	CHECK_STR(buf, want);
	CHECK(spec_parse("x*x", &s) == 0);
	CHECK(select_probes(&c, &s, 1, &sel) == 0);
	CHECK_EQ_U(sel.nr, 2);
	selection_free(&sel);
	spec_free(&s);
	cat_free(&c);
}


/*
 * The name index must give what matching every spec against the whole
 * catalogue gives: same ids, same per-spec counts, same matched probes.
 */
static void check_same_selection(const struct catalogue *c,
				 const char *const *texts, size_t n)
{
	struct spec *sp = calloc(n, sizeof(*sp));
	struct selection fast, slow;

	for (size_t i = 0; i < n; i++)
		CHECK(spec_parse(texts[i], &sp[i]) == 0);
	CHECK(select_probes(c, sp, n, &fast) == 0);
	CHECK(select_probes_flags(c, sp, n, &slow, SELECT_NO_INDEX) == 0);
	CHECK_EQ_U(fast.nr, slow.nr);
	if (fast.nr == slow.nr)
		CHECK(!memcmp(fast.ids, slow.ids, fast.nr * sizeof(*fast.ids)));
	for (size_t i = 0; i < n; i++) {
		if (fast.usable[i] != slow.usable[i] ||
		    fast.excluded[i] != slow.excluded[i]) {
			printf("# spec '%s': usable %zu/%zu excluded %zu/%zu\n",
			       texts[i], fast.usable[i], slow.usable[i],
			       fast.excluded[i], slow.excluded[i]);
			failed_checks++;
		}
	}
	CHECK(!memcmp(fast.matched, slow.matched, 2 * (size_t)c->nr));
	selection_free(&fast);
	selection_free(&slow);
	for (size_t i = 0; i < n; i++)
		spec_free(&sp[i]);
	free(sp);
}

static void test_select_literal_index(void)
{
	struct catalogue c;
	char longname[PVFBT_NAME_LEN + 1], longspec[PVFBT_NAME_LEN + 16];
	char name[64];
	uint32_t fid = 0;
	struct spec sp[3];
	struct selection sel;

	memset(&c, 0, sizeof(c));
	memset(longname, 'y', PVFBT_NAME_LEN);
	longname[PVFBT_NAME_LEN] = '\0';
	/* Names in several modules, twice in one module, excluded halves,
	 * sys_ aliases, a name of exactly PVFBT_NAME_LEN bytes. */
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "fn_%d", i);
		add_func(&c, fid++, "vmlinux", name, i % 7 == 3 ? PVFBT_EXCL_DECODE : 0,
			 i % 11 == 5 ? PVFBT_EXCL_NO_RETURN : 0, 0);
		if (i % 10 == 0)
			add_func(&c, fid++, "ext4", name, 0, 0, 0);
		if (i % 25 == 0)
			add_func(&c, fid++, "vmlinux", name, 0, 0, 0);
		if (i % 30 == 0)
			add_func(&c, fid++, "gonemod", name, 0, 0,
				 PVFBT_FUNC_GONE);
	}
	add_func(&c, fid++, "vmlinux", "__x64_sys_read", 0, 0, 0);
	add_func(&c, fid++, "vmlinux", "sys_read", 0, 0, 0);
	add_func(&c, fid++, "vmlinux", "__x64_sys_getppid", 0, 0, 0);
	add_func(&c, fid++, "vmlinux", "__ia32_sys_getppid", 0, 0, 0);
	add_func(&c, fid++, "vmlinux", "a[b]", 0, 0, 0);
	add_func(&c, fid++, "vmlinux", "a\\b", 0, 0, 0);
	add_func(&c, fid++, "vmlinux", longname, 0, 0, 0);
	add_func(&c, fid, "vmlinux", "fn_1", 0, 0, 0);	/* duplicate fid */
	add_func(&c, fid, "vmlinux", "fn_1", 0, 0, 0);
	CHECK(cat_index(&c) == 0);
	snprintf(longspec, sizeof(longspec), "fbt::%s:", longname);
	{
		const char *texts[] = {
			"fn_0", "fbt::fn_10:", "fbt:ext4:fn_10:entry",
			"fbt:e*:fn_20:return", "vmlinux:fn_3:entry", "fn_3:return",
			"fbt:vmlinux:fn_5:return", "fbt::fn_25:", ":gonemod:fn_30:",
			"fbt::fn_1:", "sys_read", "fbt::sys_read:entry",
			"sys_getppid", "__x64_sys_getppid:return", "fbt::nosuch:",
			"syscall::fn_0:", "fb?::fn_0:entry", "fbt::fn_0:e*",
			"fbt:::entry", "fbt::fn_2*:", "fn_?", "a[b]", "a\\b",
			"fbt::a?b:", longspec, "fbt::fn_299:return", "fn_299",
		};
		check_same_selection(&c, texts, sizeof(texts) / sizeof(texts[0]));
	}
	/* Literal specs go through the index: the glob path would be the
	 * same; check what they select too. */
	CHECK(spec_parse("sys_read", &sp[0]) == 0);
	CHECK(spec_parse("fbt::nosuch:", &sp[1]) == 0);
	CHECK(spec_parse("fbt:ext4:fn_10:entry", &sp[2]) == 0);
	CHECK(select_probes(&c, sp, 3, &sel) == 0);
	CHECK_EQ_U(sel.usable[0], 4);	/* sys_read and __x64_sys_read */
	CHECK_EQ_U(sel.usable[1], 0);	/* "no probes match" */
	CHECK_EQ_U(sel.excluded[1], 0);
	CHECK_EQ_U(sel.usable[2], 1);
	CHECK_EQ_U(sel.nr, 5);
	selection_free(&sel);
	for (int i = 0; i < 3; i++)
		spec_free(&sp[i]);
	cat_free(&c);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 1,000 literal specs on a 50,000-function catalogue: as cheap as a glob. */
static void test_select_literal_1000_fast(void)
{
	enum { NF = 50000, NS = 1000 };
	struct catalogue c;
	struct spec *sp = calloc(NS + 1, sizeof(*sp));
	char (*texts)[64] = calloc(NS + 1, sizeof(*texts));
	struct selection sel;
	double t0, lit, glob;
	char name[32];
	int ok = 1;

	memset(&c, 0, sizeof(c));
	c.funcs = calloc(NF, sizeof(*c.funcs));
	for (uint32_t i = 0; i < NF; i++) {
		struct pvfbt_func *f = &c.funcs[c.nr++];

		f->fid = i;
		strcpy(f->module, "vmlinux");
		snprintf(name, sizeof(name), "fn_%05u", i);
		strcpy(f->name, name);
	}
	CHECK(cat_index(&c) == 0);
	for (int k = 0; k < NS; k++) {
		snprintf(texts[k], sizeof(texts[k]), "fbt:vmlinux:fn_%05d:entry",
			 k * 50 + 7);
		CHECK(spec_parse(texts[k], &sp[k]) == 0);
	}
	t0 = now_s();
	CHECK(select_probes(&c, sp, NS, &sel) == 0);
	lit = now_s() - t0;
	CHECK_EQ_U(sel.nr, NS);
	for (int k = 0; k < NS && sel.nr == NS; k++) {
		ok &= sel.ids[k] == 2u * (k * 50 + 7);
		ok &= sel.usable[k] == 1 && sel.excluded[k] == 0;
	}
	CHECK(ok);
	selection_free(&sel);
	/* One glob over the same catalogue, for scale. */
	strcpy(texts[NS], "fbt:vmlinux:fn_*7:entry");
	CHECK(spec_parse(texts[NS], &sp[NS]) == 0);
	t0 = now_s();
	CHECK(select_probes(&c, &sp[NS], 1, &sel) == 0);
	glob = now_s() - t0;
	CHECK_EQ_U(sel.nr, NF / 10);
	selection_free(&sel);
	printf("# 1000 literal specs: %.1f ms; one glob: %.1f ms (%u functions)\n",
	       lit * 1e3, glob * 1e3, NF);
	/* The old way (every spec against every function) took 100 globs' time
	 * and more; generous bounds for a loaded machine. */
	CHECK(lit < 1.0);
	CHECK(lit < 20 * glob + 0.05);
	for (int k = 0; k <= NS; k++)
		spec_free(&sp[k]);
	free(sp);
	free(texts);
	cat_free(&c);
}

/* ------------------------------------------------------------------ */
/* Histograms */

static void test_hist_buckets(void)
{
	struct hist h;

	CHECK_EQ_U(hist_bucket(0), 0);
	CHECK_EQ_U(hist_bucket(1), 1);
	CHECK_EQ_U(hist_bucket(2), 2);
	CHECK_EQ_U(hist_bucket(3), 2);
	CHECK_EQ_U(hist_bucket(4), 3);
	CHECK_EQ_U(hist_bucket(7), 3);
	CHECK_EQ_U(hist_bucket(1023), 10);
	CHECK_EQ_U(hist_bucket(1024), 11);
	CHECK_EQ_U(hist_bucket(UINT64_MAX), 64);
	CHECK_EQ_U(hist_bucket_value(0), 0);
	CHECK_EQ_U(hist_bucket_value(1), 1);
	CHECK_EQ_U(hist_bucket_value(11), 1024);
	CHECK_EQ_U(hist_bucket_value(64), 1ULL << 63);
	for (int b = 1; b < HIST_BUCKETS; b++) {
		CHECK_EQ_U(hist_bucket(hist_bucket_value(b)), b);
		if (b < 64)
			CHECK_EQ_U(hist_bucket(hist_bucket_value(b + 1) - 1), b);
	}
	memset(&h, 0, sizeof(h));
	hist_add(&h, 100);
	hist_add(&h, 300);
	hist_add(&h, 0);
	hist_add(&h, UINT64_MAX);
	CHECK_EQ_U(h.count, 4);
	CHECK_EQ_U(h.min, 0);
	CHECK_EQ_U(h.max, UINT64_MAX);
	CHECK_EQ_U(h.b[0], 1);
	CHECK_EQ_U(h.b[7], 1);	/* 64..127 */
	CHECK_EQ_U(h.b[9], 1);	/* 256..511 */
	CHECK_EQ_U(h.b[64], 1);
}

static char *capture_hist(const struct hist *h)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	hist_print(f, h);
	fclose(f);
	return buf;
}

static void test_hist_print(void)
{
	struct hist h;
	char *out;
	int i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 3; i++)
		hist_add(&h, 1500);	/* bucket 1024 */
	hist_add(&h, 600);		/* bucket 512 */
	out = capture_hist(&h);
	CHECK_STR(out,
"           value  ------------- Distribution ------------- count\n"
"             256 |                                         0\n"
"             512 |@@@@@@@@@@                               1\n"
"            1024 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@           3\n"
"            2048 |                                         0\n"
"count 4, min 600, mean 1275, max 1500 (ns)\n");
	free(out);

	memset(&h, 0, sizeof(h));
	hist_add(&h, 0);
	out = capture_hist(&h);
	CHECK_STR(out,
"           value  ------------- Distribution ------------- count\n"
"               0 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1\n"
"               1 |                                         0\n"
"count 1, min 0, mean 0, max 0 (ns)\n");
	free(out);

	memset(&h, 0, sizeof(h));
	out = capture_hist(&h);
	CHECK(strstr(out, "count 0, min 0, mean 0, max 0 (ns)\n") != NULL);
	free(out);
}

/* ------------------------------------------------------------------ */
/* Latency pairing */

#define STK	0xffffc90000a3c000ULL	/* a 16 KiB task stack */
#define IRQSTK	0xffff88807fc04000ULL	/* another stack */

static struct pvfbt_record rec(uint32_t fid, int ret, uint32_t tid,
			       uint16_t cpu, uint64_t sp, uint64_t ts)
{
	struct pvfbt_record r;

	memset(&r, 0, sizeof(r));
	r.probe_id = 2 * fid + (ret ? 1 : 0);
	r.flags = ret ? PVFBT_REC_RETURN : PVFBT_REC_ENTRY;
	r.pid = tid;
	r.tid = tid;
	r.cpu = cpu;
	r.sp = sp;
	r.ts = ts;
	strcpy(r.comm, "test");
	return r;
}

static void feed(struct lat *l, struct pvfbt_record r)
{
	lat_record(l, &r);
}

static uint64_t hcount(struct lat *l, uint32_t fid)
{
	const struct hist *h = lat_hist(l, fid);

	return h ? h->count : 0;
}

static void lat_setup(struct lat *l)
{
	CHECK(lat_init(l, 8) == 0);
	for (uint32_t f = 0; f < 6; f++)
		lat_track(l, f);
}

static void test_lat_simple(void)
{
	struct lat l;

	lat_setup(&l);
	feed(&l, rec(1, 0, 100, 0, STK + 0x3f58, 1000));
	feed(&l, rec(1, 1, 100, 0, STK + 0x3f58, 1700));
	CHECK_EQ_U(hcount(&l, 1), 1);
	CHECK_EQ_U(lat_hist(&l, 1)->min, 700);
	CHECK_EQ_U(lat_hist(&l, 1)->b[hist_bucket(700)], 1);
	CHECK_EQ_U(l.matched, 1);
	CHECK_EQ_U(l.unmatched, 0);
	/* A function whose return probe is not enabled is ignored. */
	feed(&l, rec(7, 0, 100, 0, STK + 0x3f58, 2000));
	feed(&l, rec(7, 1, 100, 0, STK + 0x3f58, 2500));
	CHECK(lat_hist(&l, 7) == NULL);
	CHECK(lat_thread_get(&l, 100, 0)->n == 0);
	lat_free(&l);
}

static void test_lat_nested_and_recursion(void)
{
	struct lat l;

	lat_setup(&l);
	/* f -> g -> f (recursion, different sp) */
	feed(&l, rec(1, 0, 7, 0, STK + 0x3f00, 100));
	feed(&l, rec(2, 0, 7, 0, STK + 0x3e00, 200));
	feed(&l, rec(1, 0, 7, 0, STK + 0x3d00, 300));
	CHECK_EQ_U(lat_thread_get(&l, 7, 0)->n, 3);
	feed(&l, rec(1, 1, 7, 0, STK + 0x3d00, 350));	/* inner f: 50 */
	feed(&l, rec(2, 1, 7, 0, STK + 0x3e00, 500));	/* g: 300 */
	feed(&l, rec(1, 1, 7, 0, STK + 0x3f00, 1100));	/* outer f: 1000 */
	CHECK_EQ_U(hcount(&l, 1), 2);
	CHECK_EQ_U(lat_hist(&l, 1)->min, 50);
	CHECK_EQ_U(lat_hist(&l, 1)->max, 1000);
	CHECK_EQ_U(hcount(&l, 2), 1);
	CHECK_EQ_U(lat_hist(&l, 2)->min, 300);
	CHECK_EQ_U(lat_thread_get(&l, 7, 0)->n, 0);
	CHECK_EQ_U(l.lost, 0);
	lat_free(&l);
}

static void test_lat_tailcall(void)
{
	struct lat l;

	/*
	 * A tail-calls B: A's frame is gone when B is entered, so B's entry
	 * sees A's return-address slot (same sp) and B's ret goes straight
	 * to A's caller.  Rule: B's return completes B and then A (frames
	 * below with the same sp), A's latency ending at B's return.
	 */
	lat_setup(&l);
	feed(&l, rec(1, 0, 9, 0, STK + 0x3f00, 1000));	/* A */
	feed(&l, rec(2, 0, 9, 0, STK + 0x3f00, 1100));	/* B, tail-called */
	feed(&l, rec(2, 1, 9, 0, STK + 0x3f00, 1600));	/* B returns */
	CHECK_EQ_U(hcount(&l, 2), 1);
	CHECK_EQ_U(lat_hist(&l, 2)->min, 500);
	CHECK_EQ_U(hcount(&l, 1), 1);
	CHECK_EQ_U(lat_hist(&l, 1)->min, 600);
	CHECK_EQ_U(l.tailcalls, 1);
	CHECK_EQ_U(l.matched, 2);
	CHECK_EQ_U(lat_thread_get(&l, 9, 0)->n, 0);

	/* A chain A -> B -> C, under an outer D. */
	feed(&l, rec(4, 0, 9, 0, STK + 0x3f80, 0));
	feed(&l, rec(1, 0, 9, 0, STK + 0x3f00, 10));
	feed(&l, rec(2, 0, 9, 0, STK + 0x3f00, 20));
	feed(&l, rec(3, 0, 9, 0, STK + 0x3f00, 30));
	feed(&l, rec(3, 1, 9, 0, STK + 0x3f00, 40));
	CHECK_EQ_U(hcount(&l, 1), 2);
	CHECK_EQ_U(hcount(&l, 2), 2);
	CHECK_EQ_U(hcount(&l, 3), 1);
	CHECK_EQ_U(lat_thread_get(&l, 9, 0)->n, 1);	/* D still open */
	feed(&l, rec(4, 1, 9, 0, STK + 0x3f80, 100));
	CHECK_EQ_U(hcount(&l, 4), 1);
	CHECK_EQ_U(l.lost, 0);
	lat_free(&l);
}

static void test_lat_aborted_and_unmatched(void)
{
	struct lat l;

	lat_setup(&l);
	/* return of a call we never saw enter */
	feed(&l, rec(1, 1, 5, 0, STK + 0x3f00, 10));
	CHECK_EQ_U(l.unmatched, 1);
	/* A calls X; X's return is lost; A returns: X is dropped */
	feed(&l, rec(1, 0, 5, 0, STK + 0x3f00, 100));
	feed(&l, rec(2, 0, 5, 0, STK + 0x3e00, 110));
	feed(&l, rec(1, 1, 5, 0, STK + 0x3f00, 200));
	CHECK_EQ_U(hcount(&l, 1), 1);
	CHECK_EQ_U(hcount(&l, 2), 0);
	CHECK_EQ_U(l.lost, 1);
	/* a return with the right fid but another sp does not pair */
	feed(&l, rec(3, 0, 5, 0, STK + 0x3f00, 300));
	feed(&l, rec(3, 1, 5, 0, STK + 0x3f08, 310));
	CHECK_EQ_U(hcount(&l, 3), 0);
	CHECK_EQ_U(l.unmatched, 2);
	/* ... and the stale frame goes when the next call takes its slot */
	feed(&l, rec(3, 0, 5, 0, STK + 0x3f00, 400));
	CHECK_EQ_U(l.lost, 2);
	CHECK_EQ_U(lat_thread_get(&l, 5, 0)->n, 1);
	feed(&l, rec(3, 1, 5, 0, STK + 0x3f00, 450));
	CHECK_EQ_U(hcount(&l, 3), 1);
	CHECK_EQ_U(lat_hist(&l, 3)->max, 50);
	/* deeper frames are dead when a shallower call starts */
	feed(&l, rec(4, 0, 5, 0, STK + 0x3c00, 500));
	feed(&l, rec(5, 0, 5, 0, STK + 0x3e00, 600));
	CHECK_EQ_U(lat_thread_get(&l, 5, 0)->n, 1);
	CHECK_EQ_U(l.lost, 3);
	lat_free(&l);
}

static void test_lat_threads_and_stacks(void)
{
	struct lat l;

	lat_setup(&l);
	/* Two threads interleaved with the same sp values. */
	feed(&l, rec(1, 0, 10, 0, STK + 0x3f00, 100));
	feed(&l, rec(1, 0, 11, 1, STK + 0x3f00, 150));
	feed(&l, rec(1, 1, 10, 1, STK + 0x3f00, 400));	/* migrated */
	feed(&l, rec(1, 1, 11, 0, STK + 0x3f00, 160));
	CHECK_EQ_U(hcount(&l, 1), 2);
	CHECK_EQ_U(lat_hist(&l, 1)->min, 10);
	CHECK_EQ_U(lat_hist(&l, 1)->max, 300);
	/* The idle tasks all have tid 0: told apart by cpu. */
	feed(&l, rec(2, 0, 0, 0, STK + 0x3f00, 1000));
	feed(&l, rec(2, 0, 0, 1, STK + 0x3f00, 1010));
	feed(&l, rec(2, 1, 0, 1, STK + 0x3f00, 1020));
	feed(&l, rec(2, 1, 0, 0, STK + 0x3f00, 1500));
	CHECK_EQ_U(hcount(&l, 2), 2);
	CHECK_EQ_U(lat_hist(&l, 2)->min, 10);
	CHECK_EQ_U(lat_hist(&l, 2)->max, 500);
	/* An interrupt on another stack above the task's addresses must
	 * not kill the task's frames. */
	feed(&l, rec(3, 0, 12, 0, STK + 0x3f00, 2000));
	feed(&l, rec(4, 0, 12, 0, IRQSTK + 0x3f00, 2010));
	feed(&l, rec(4, 1, 12, 0, IRQSTK + 0x3f00, 2020));
	feed(&l, rec(3, 1, 12, 0, STK + 0x3f00, 2100));
	CHECK_EQ_U(hcount(&l, 3), 1);
	CHECK_EQ_U(hcount(&l, 4), 1);
	CHECK_EQ_U(l.lost, 0);
	lat_free(&l);
}

/* Random well-nested calls on many threads, interleaved: every call paired. */
static void test_lat_counts_equal_calls(void)
{
	struct lat l;
	enum { THREADS = 37, CALLS = 20000 };
	struct { int depth; uint32_t fid[64]; } st[THREADS];
	uint64_t calls[6] = { 0 }, ts = 1;
	unsigned seed = 12345;
	int done = 0;

	memset(st, 0, sizeof(st));
	lat_setup(&l);
	while (done < CALLS || 1) {
		int t = rand_r(&seed) % THREADS, stop = done >= CALLS;
		int d = st[t].depth;
		uint64_t sp = STK + 0x3f00 - (uint64_t)d * 0x40;

		if (stop) {
			int any = 0;

			for (t = 0; t < THREADS; t++)
				if (st[t].depth) {
					any = 1;
					break;
				}
			if (!any)
				break;
			d = st[t].depth;
			sp = STK + 0x3f00 - (uint64_t)d * 0x40;
		}
		if (!stop && d < 63 && (d == 0 || rand_r(&seed) % 2)) {
			uint32_t f = rand_r(&seed) % 6;

			st[t].fid[d] = f;
			st[t].depth++;
			feed(&l, rec(f, 0, 1000 + t, t % 4, sp - 0x40, ts++));
			calls[f]++;
			done++;
		} else if (d > 0) {
			st[t].depth--;
			feed(&l, rec(st[t].fid[d - 1], 1, 1000 + t,
				     rand_r(&seed) % 4, sp, ts++));
		}
	}
	for (uint32_t f = 0; f < 6; f++)
		CHECK_EQ_U(hcount(&l, f), calls[f]);
	CHECK_EQ_U(l.matched, CALLS);
	CHECK_EQ_U(l.lost, 0);
	CHECK_EQ_U(l.unmatched, 0);
	CHECK_EQ_U(l.nr_threads, THREADS);
	lat_free(&l);
}


/* Direct recursion: f -> f -> f on one thread, while another thread runs f
 * at the same stack addresses. */
static void test_lat_recursion_same_function(void)
{
	struct lat l;

	lat_setup(&l);
	feed(&l, rec(1, 0, 20, 0, STK + 0x3f00, 100));
	feed(&l, rec(1, 0, 21, 1, STK + 0x3f00, 105));
	feed(&l, rec(1, 0, 20, 0, STK + 0x3e80, 110));
	feed(&l, rec(1, 0, 20, 0, STK + 0x3e00, 120));
	feed(&l, rec(1, 0, 21, 1, STK + 0x3e80, 125));
	CHECK_EQ_U(lat_thread_get(&l, 20, 0)->n, 3);
	CHECK_EQ_U(lat_thread_get(&l, 21, 0)->n, 2);
	feed(&l, rec(1, 1, 20, 0, STK + 0x3e00, 130));	/* 10 */
	feed(&l, rec(1, 1, 21, 1, STK + 0x3e80, 145));	/* 20 */
	feed(&l, rec(1, 1, 20, 1, STK + 0x3e80, 150));	/* 40, migrated */
	feed(&l, rec(1, 1, 21, 1, STK + 0x3f00, 205));	/* 100 */
	feed(&l, rec(1, 1, 20, 1, STK + 0x3f00, 400));	/* 300 */
	CHECK_EQ_U(hcount(&l, 1), 5);
	CHECK_EQ_U(lat_hist(&l, 1)->min, 10);
	CHECK_EQ_U(lat_hist(&l, 1)->max, 300);
	CHECK_EQ_U((uint64_t)lat_hist(&l, 1)->sum, 10 + 20 + 40 + 100 + 300);
	CHECK_EQ_U(l.matched, 5);
	CHECK_EQ_U(l.lost + l.unmatched + l.tailcalls, 0);
	CHECK_EQ_U(lat_thread_get(&l, 20, 0)->n, 0);
	CHECK_EQ_U(lat_thread_get(&l, 21, 0)->n, 0);
	lat_free(&l);
}

static struct pvfbt_record tail_ret(uint32_t fid, uint32_t tid, uint16_t cpu,
				    uint64_t sp, uint64_t ts)
{
	struct pvfbt_record r = rec(fid, 1, tid, cpu, sp, ts);

	r.flags |= PVFBT_REC_TAILCALL;
	r.args[0] = 0xdeadbeef;	/* not a return value */
	return r;
}

/*
 * ABI 3 reports a tail call as a return of the caller (PVFBT_REC_TAILCALL,
 * same sp as its entry): entry A sp=X, return A (tail call) sp=X, entry B
 * sp=X, return B sp=X.  A and B get one sample each; A's ends at the jump.
 */
static void test_lat_tailcall_flagged(void)
{
	struct lat l;

	lat_setup(&l);
	for (int i = 0; i < 1000; i++) {
		uint64_t t = 10000 * (uint64_t)i;

		feed(&l, rec(1, 0, 30, 0, STK + 0x3f00, t));
		feed(&l, tail_ret(1, 30, 0, STK + 0x3f00, t + 500));
		feed(&l, rec(2, 0, 30, 1, STK + 0x3f00, t + 501));
		feed(&l, rec(2, 1, 30, 0, STK + 0x3f00, t + 1501));
	}
	CHECK_EQ_U(hcount(&l, 1), 1000);
	CHECK_EQ_U(lat_hist(&l, 1)->min, 500);
	CHECK_EQ_U(lat_hist(&l, 1)->max, 500);
	CHECK_EQ_U(hcount(&l, 2), 1000);
	CHECK_EQ_U(lat_hist(&l, 2)->min, 1000);
	CHECK_EQ_U(lat_hist(&l, 2)->max, 1000);
	CHECK_EQ_U(l.matched, 2000);
	CHECK_EQ_U(l.tailcalls, 0);
	CHECK_EQ_U(l.lost + l.unmatched, 0);
	CHECK_EQ_U(lat_thread_get(&l, 30, 0)->n, 0);
	/* A chain under an outer call D: D -> A -tail-> B -tail-> A -> ret */
	feed(&l, rec(4, 0, 30, 0, STK + 0x3f80, 1));
	feed(&l, rec(1, 0, 30, 0, STK + 0x3f00, 10));
	feed(&l, tail_ret(1, 30, 0, STK + 0x3f00, 20));
	feed(&l, rec(2, 0, 30, 0, STK + 0x3f00, 21));
	feed(&l, tail_ret(2, 30, 0, STK + 0x3f00, 30));
	feed(&l, rec(1, 0, 30, 0, STK + 0x3f00, 31));
	feed(&l, rec(1, 1, 30, 0, STK + 0x3f00, 41));
	CHECK_EQ_U(lat_thread_get(&l, 30, 0)->n, 1);
	feed(&l, rec(4, 1, 30, 0, STK + 0x3f80, 101));
	CHECK_EQ_U(hcount(&l, 1), 1002);
	CHECK_EQ_U(hcount(&l, 2), 1001);
	CHECK_EQ_U(hcount(&l, 4), 1);
	CHECK_EQ_U(lat_hist(&l, 4)->max, 100);
	CHECK_EQ_U(l.tailcalls + l.lost + l.unmatched, 0);
	lat_free(&l);
}

/* Several return sites: returns with different ip, one probe id. */
static void test_lat_return_sites(void)
{
	struct lat l;

	lat_setup(&l);
	for (int i = 0; i < 300; i++) {
		struct pvfbt_record e = rec(3, 0, 40, 0, STK + 0x3f00, 100 * i);
		struct pvfbt_record r = rec(3, 1, 40, 0, STK + 0x3f00,
					    100 * i + 10 + i % 3);

		e.ip = 0xffffffff81000104ULL;
		r.ip = 0xffffffff81000130ULL + 8 * (i % 3);
		lat_record(&l, &e);
		lat_record(&l, &r);
	}
	CHECK_EQ_U(hcount(&l, 3), 300);
	CHECK_EQ_U(lat_hist(&l, 3)->min, 10);
	CHECK_EQ_U(lat_hist(&l, 3)->max, 12);
	CHECK_EQ_U(lat_hist(&l, 3)->b[hist_bucket(10)], 300);
	CHECK_EQ_U(l.lost + l.unmatched, 0);
	lat_free(&l);
}

/* Random nesting with recursion and reported tail calls, many threads:
 * histogram counts equal calls. */
static void test_lat_counts_with_tailcalls(void)
{
	struct lat l;
	enum { THREADS = 13, CALLS = 30000 };
	struct { int depth; uint32_t fid[64]; } st[THREADS];
	uint64_t calls[6] = { 0 }, ts = 1;
	unsigned seed = 777;
	int done = 0;

	memset(st, 0, sizeof(st));
	lat_setup(&l);
	for (;;) {
		int t = rand_r(&seed) % THREADS, stop = done >= CALLS, d, any = 0;
		uint64_t sp;

		if (stop) {
			for (t = 0; t < THREADS && !any; t++)
				any = st[t].depth != 0;
			if (!any)
				break;
			t--;
		}
		d = st[t].depth;
		sp = STK + 0x3f00 - (uint64_t)d * 0x40;
		if (!stop && d < 63 && (d == 0 || rand_r(&seed) % 2)) {
			uint32_t f = rand_r(&seed) % 6;	/* recursion too */

			st[t].fid[d] = f;
			st[t].depth++;
			feed(&l, rec(f, 0, 500 + t, t % 3, sp - 0x40, ts++));
			calls[f]++;
			done++;
		} else if (d > 0 && !stop && rand_r(&seed) % 4 == 0) {
			/* the innermost call tail-calls g, same slot */
			uint32_t g = rand_r(&seed) % 6;

			feed(&l, tail_ret(st[t].fid[d - 1], 500 + t, t % 3, sp, ts++));
			st[t].fid[d - 1] = g;
			feed(&l, rec(g, 0, 500 + t, t % 3, sp, ts++));
			calls[g]++;
			done++;
		} else if (d > 0) {
			st[t].depth--;
			feed(&l, rec(st[t].fid[d - 1], 1, 500 + t,
				     rand_r(&seed) % 3, sp, ts++));
		}
	}
	for (uint32_t f = 0; f < 6; f++)
		CHECK_EQ_U(hcount(&l, f), calls[f]);
	CHECK_EQ_U(l.matched, done);
	CHECK_EQ_U(l.lost + l.unmatched + l.tailcalls, 0);
	lat_free(&l);
}

static void test_lat_depth_limit(void)
{
	struct lat l;
	int i;

	lat_setup(&l);
	for (i = 0; i < LAT_MAX_DEPTH + 10; i++)
		feed(&l, rec(1, 0, 3, 0, 0x100000000ULL - (uint64_t)i * 0x10, i));
	CHECK_EQ_U(lat_thread_get(&l, 3, 0)->n, LAT_MAX_DEPTH);
	CHECK_EQ_U(l.overflow, 10);
	lat_free(&l);
}

/* ------------------------------------------------------------------ */
/* Formatting */

static char *capture_json(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_string(f, s, n);
	fclose(f);
	return buf;
}

/* lat_ops: what the timeline sees of the pairing, in record order. */
static char ops_log[512];

static void ops_pair(void *arg, const struct lat_frame *e,
		     const struct pvfbt_record *ret, int via_tailcall)
{
	size_t n = strlen(ops_log);

	(void)arg;
	snprintf(ops_log + n, sizeof(ops_log) - n, "P%u:%llu-%llu%s ", e->fid,
		 (unsigned long long)e->ts, (unsigned long long)ret->ts,
		 via_tailcall ? "t" : "");
}

static void ops_lost(void *arg, const struct lat_frame *e)
{
	size_t n = strlen(ops_log);

	(void)arg;
	snprintf(ops_log + n, sizeof(ops_log) - n, "L%u:%llu/%u ", e->fid,
		 (unsigned long long)e->ts, e->tid);
}

static void ops_unmatched(void *arg, const struct pvfbt_record *r)
{
	size_t n = strlen(ops_log);

	(void)arg;
	snprintf(ops_log + n, sizeof(ops_log) - n, "U%u:%llu ", r->probe_id / 2,
		 (unsigned long long)r->ts);
}

static void test_lat_ops(void)
{
	static const struct lat_ops ops = {
		.pair = ops_pair, .lost = ops_lost, .unmatched = ops_unmatched,
	};
	const uint64_t S = STK + 0x3f00;
	struct pvfbt_record e1;
	struct lat l;

	lat_setup(&l);
	l.ops = &ops;
	ops_log[0] = '\0';
	feed(&l, rec(0, 0, 7, 0, S, 10));
	e1 = rec(1, 0, 7, 0, S - 0x40, 20);
	e1.args[2] = 123;
	feed(&l, e1);
	CHECK_EQ_U(lat_thread_get(&l, 7, 0)->f[1].args[2], 123);
	feed(&l, rec(1, 1, 7, 1, S - 0x40, 30));	/* on another cpu */
	feed(&l, rec(2, 0, 7, 0, S - 0x40, 40));
	feed(&l, rec(3, 0, 7, 0, S - 0x40, 50));	/* 2 tail-called 3 */
	feed(&l, rec(3, 1, 7, 0, S - 0x40, 60));
	feed(&l, rec(4, 1, 7, 0, S - 0x40, 70));	/* no entry */
	feed(&l, rec(1, 0, 7, 0, S - 0x80, 80));	/* never returns */
	feed(&l, rec(0, 1, 7, 0, S, 90));
	feed(&l, rec(5, 0, 8, 0, S, 100));		/* open at the end */
	lat_flush(&l);
	CHECK_STR(ops_log, "P1:20-30 P3:50-60 P2:40-60t U4:70 L1:80/7 P0:10-90 L5:100/8 ");
	CHECK_EQ_U(l.matched, 4);
	CHECK_EQ_U(l.tailcalls, 1);
	CHECK_EQ_U(l.unmatched, 1);
	CHECK_EQ_U(l.lost, 1);		/* lat_flush's are not counted */
	CHECK_EQ_U(lat_thread_get(&l, 8, 0)->n, 0);
	lat_free(&l);
}

static void test_count_key_parse(void)
{
	enum count_key k;
	int a = -1;

	CHECK(count_key_parse("pid", &k, &a) == 0 && k == COUNT_BY_PID);
	CHECK(count_key_parse("tid", &k, &a) == 0 && k == COUNT_BY_TID);
	CHECK(count_key_parse("comm", &k, &a) == 0 && k == COUNT_BY_COMM);
	CHECK(count_key_parse("retval", &k, &a) == 0 && k == COUNT_BY_RETVAL);
	CHECK(count_key_parse("arg0", &k, &a) == 0 && k == COUNT_BY_ARG && a == 0);
	CHECK(count_key_parse("arg5", &k, &a) == 0 && k == COUNT_BY_ARG && a == 5);
	CHECK(count_key_parse("arg6", &k, &a) == -1);
	CHECK(count_key_parse("arg", &k, &a) == -1);
	CHECK(count_key_parse("arg01", &k, &a) == -1);
	CHECK(count_key_parse("Pid", &k, &a) == -1);
	CHECK(count_key_parse("", &k, &a) == -1);
}

/* --by argN and retval: decimal in [-2^31, 2^32), hex otherwise, "-" when
 * the record has no such key; --by comm as text. */
static void test_counts_by_keys(void)
{
	static const uint64_t vals[] = {
		5, (uint64_t)-1, 0xffff888000001000ULL, 4294967295ULL,
		4294967296ULL, (uint64_t)-2147483648LL, (uint64_t)-2147483649LL,
	};
	struct catalogue c;
	struct counts k;
	struct pvfbt_record r;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	fake_catalogue(&c);
	CHECK(counts_init(&k, 2 * c.nr_fid, COUNT_BY_ARG, 1) == 0);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		r = rec(1, 0, 9, 0, STK, 1);
		r.args[1] = vals[i];
		counts_add(&k, &r);
	}
	r = rec(1, 0, 9, 0, STK, 1);
	r.args[1] = 5;
	counts_add(&k, &r);
	r = rec(1, 1, 9, 0, STK, 2);	/* a return: no arg1 */
	counts_add(&k, &r);
	counts_add(&k, &r);
	f = open_memstream(&buf, &len);
	counts_print(f, &k, &c);
	fclose(f);
	CHECK_STR(buf,
"PROBE                                                                      ARG1        COUNT\n"
"fbt:vmlinux:vfs_read:entry                                                    5            2\n"
"fbt:vmlinux:vfs_read:return                                                   -            2\n"
"fbt:vmlinux:vfs_read:entry                                   0xffff888000001000            1\n"
"fbt:vmlinux:vfs_read:entry                                   0xffffffff7fffffff            1\n"
"fbt:vmlinux:vfs_read:entry                                          -2147483648            1\n"
"fbt:vmlinux:vfs_read:entry                                                   -1            1\n"
"fbt:vmlinux:vfs_read:entry                                           4294967295            1\n"
"fbt:vmlinux:vfs_read:entry                                          0x100000000            1\n");
	free(buf);
	counts_free(&k);

	CHECK(counts_init(&k, 2 * c.nr_fid, COUNT_BY_COMM, 0) == 0);
	for (i = 0; i < 3; i++) {
		r = rec(0, 0, 9, 0, STK, 1);
		strcpy(r.comm, i ? "a b" : "");
		counts_add(&k, &r);
	}
	buf = NULL;
	f = open_memstream(&buf, &len);
	counts_print(f, &k, &c);
	fclose(f);
	CHECK_STR(buf,
"PROBE                                                        COMM                    COUNT\n"
"fbt:vmlinux:__x64_sys_getppid:entry                          a?b                         2\n"
"fbt:vmlinux:__x64_sys_getppid:entry                          -                           1\n");
	free(buf);
	counts_free(&k);
	cat_free(&c);
}

static void test_json_escape(void)
{
	char *o;

	o = capture_json("plain", 5);
	CHECK_STR(o, "\"plain\"");
	free(o);
	o = capture_json("a\"b\\c/d", 7);
	CHECK_STR(o, "\"a\\\"b\\\\c/d\"");
	free(o);
	o = capture_json("\n\t\r\b\f\x01\x1f\x7f", 8);
	CHECK_STR(o, "\"\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f\"");
	free(o);
	o = capture_json("caf\xc3\xa9\xff", 6);
	CHECK_STR(o, "\"caf\\u00c3\\u00a9\\u00ff\"");
	free(o);
	/* stops at NUL, and at n for a comm filling all 16 bytes */
	o = capture_json("ab\0cd", 5);
	CHECK_STR(o, "\"ab\"");
	free(o);
	o = capture_json("0123456789abcdefXYZ", 16);
	CHECK_STR(o, "\"0123456789abcdef\"");
	free(o);
}

static char *capture_event(const struct pvfbt_record *r, const char *probe,
			   int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (json)
		print_event_json(f, r, probe, NULL, NULL, NULL, NULL, NULL);
	else
		print_event_text(f, r, probe, NULL, NULL, NULL);
	fclose(f);
	return buf;
}

static void test_event_format(void)
{
	struct pvfbt_record r = rec(0, 0, 123, 1, 0xffffc90000a3ff58ULL,
				    12345678901ULL);
	char *o;

	r.args[0] = 0xffffc90000a3ff58ULL;
	memcpy(r.comm, "getppid-loop\0\0\0", 16);
	o = capture_event(&r, "fbt:vmlinux:__x64_sys_getppid:entry", 0);
	CHECK_STR(o, "    12.345678901   1     123/123     getppid-loop     "
		  "fbt:vmlinux:__x64_sys_getppid:entry  0xffffc90000a3ff58 "
		  "0x0 0x0 0x0 0x0 0x0\n");
	free(o);
	o = capture_event(&r, "fbt:vmlinux:__x64_sys_getppid:entry", 1);
	CHECK_STR(o, "{\"ts\":12345678901,\"cpu\":1,\"pid\":123,\"tid\":123,"
		  "\"comm\":\"getppid-loop\",\"probe\":"
		  "\"fbt:vmlinux:__x64_sys_getppid:entry\",\"ip\":0,\"args\":"
		  "[18446683600580771672,0,0,0,0,0]}\n");
	free(o);

	r = rec(0, 1, 123, 1, 0, 5);
	r.args[0] = 0x7b;
	memcpy(r.comm, "a b\"\\\n", 7);
	o = capture_event(&r, "fbt:vmlinux:__x64_sys_getppid:return", 0);
	CHECK_STR(o, "     0.000000005   1     123/123     a?b\"\\?"
		  "           fbt:vmlinux:__x64_sys_getppid:return  = 0x7b (123)\n");
	free(o);
	r.args[0] = (uint64_t)-14;
	r.flags |= PVFBT_REC_NMI;
	o = capture_event(&r, "fbt:vmlinux:__x64_sys_getppid:return", 1);
	CHECK_STR(o, "{\"ts\":5,\"cpu\":1,\"pid\":123,\"tid\":123,"
		  "\"comm\":\"a b\\\"\\\\\\n\",\"probe\":"
		  "\"fbt:vmlinux:__x64_sys_getppid:return\",\"ip\":0,\"retval\":-14,"
		  "\"nmi\":true}\n");
	free(o);
	o = capture_event(&r, "p", 0);
	CHECK(strstr(o, "= 0xfffffffffffffff2 (-14) [nmi]\n") != NULL);
	free(o);
}


/* A kallsyms file for the tests, unsorted, with what must be ignored. */
static const char test_kallsyms[] =
	"ffffffffc0a01000 t ext4_read_thing\t[ext4]\n"
	"ffffffffc0a01200 T ext4_other\t[ext4]\n"
	"0000000000000000 A fixed_percpu_data\n"
	"ffffffff81000000 T _text\n"
	"ffffffff81000000 t startup_64\n"
	"ffffffff81200000 t vfs_read_alias\n"
	"ffffffff81200000 T vfs_read\n"
	"ffffffff81200400 T ksys_read\n"
	"ffffffff81200300 D some_data\n"
	"ffffffff81200500 b some_bss\n"
	"ffffffff81200600 W weak_fn\n"
	"garbage line\n"
	"ffffffff81300000 r rodata_thing\n"
	"ffffffff81201000 T do_syscall_64\n";

static char *write_tmp(const char *text)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/pvfbt-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("# cannot write %s\n", path);
		failed_checks++;
	}
	if (fd >= 0)
		close(fd);
	return path;
}

static void load_test_ksyms(struct ksyms *k)
{
	char *path = write_tmp(test_kallsyms);

	CHECK_EQ_U(ksyms_load(k, path), 0);
	unlink(path);
}

static const char *fmt(const struct ksyms *k, uint64_t a)
{
	static char buf[400];

	ksym_format(buf, sizeof(buf), k, a);
	return buf;
}

static void test_ksyms(void)
{
	struct ksyms k;
	char *path;

	load_test_ksyms(&k);
	CHECK_EQ_U(k.nr, 7);	/* t/T/W only, aliases folded, no zeros */
	CHECK_STR(fmt(&k, 0xffffffff81200005ULL), "vfs_read+0x5");
	CHECK_STR(fmt(&k, 0xffffffff81200000ULL), "vfs_read+0x0");
	CHECK_STR(fmt(&k, 0xffffffff81200467ULL), "ksys_read+0x67");
	/* data symbols do not end a function */
	CHECK_STR(fmt(&k, 0xffffffff81200310ULL), "vfs_read+0x310");
	CHECK_STR(fmt(&k, 0xffffffff81200601ULL), "weak_fn+0x1");
	CHECK_STR(fmt(&k, 0xffffffff81000010ULL), "_text+0x10");
	CHECK_STR(fmt(&k, 0xffffffff81201038ULL), "do_syscall_64+0x38");
	CHECK_STR(fmt(&k, 0xffffffffc0a0101aULL), "ext4_read_thing+0x1a [ext4]");
	CHECK_STR(fmt(&k, 0xffffffffc0a01200ULL), "ext4_other+0x0 [ext4]");
	/* below the first symbol, or far past the nearest one: hex */
	CHECK_STR(fmt(&k, 0xffffffff80000000ULL), "0xffffffff80000000");
	CHECK_STR(fmt(&k, 0xffffffff81301000ULL), "0xffffffff81301000");
	CHECK_STR(fmt(&k, 0xffffffffc0b01200ULL), "0xffffffffc0b01200");
	CHECK_STR(fmt(&k, 0), "0x0");
	ksyms_free(&k);

	/* Not root / kptr_restrict: every address is 0. */
	path = write_tmp("0000000000000000 T _text\n"
			 "0000000000000000 T vfs_read\n"
			 "0000000000000000 t ext4_x\t[ext4]\n");
	CHECK_EQ_U(ksyms_load(&k, path), 1);
	unlink(path);
	CHECK_EQ_U(k.nr, 0);
	CHECK_STR(fmt(&k, 0xffffffff81200005ULL), "0xffffffff81200005");
	ksyms_free(&k);
	errno = 0;
	CHECK(ksyms_load(&k, "/nonexistent/kallsyms") == -1 && errno == ENOENT);
	CHECK_STR(fmt(&k, 0x1234), "0x1234");
	ksyms_free(&k);
}

static char *capture_event_stack(const struct pvfbt_record *r,
				 const char *probe, int json,
				 const struct kstack *st, const struct ksyms *k)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (json) {
		print_event_json(f, r, probe, st, k, NULL, NULL, NULL);
	} else {
		print_event_text(f, r, probe, NULL, NULL, NULL);
		if (st)
			print_stack_text(f, st, k);
	}
	fclose(f);
	return buf;
}

static void test_event_format_tailcall_stack(void)
{
	struct pvfbt_record r = rec(3, 1, 77, 0, 0, 1000000005ULL);
	uint64_t pcs[] = { 0xffffffff81200030ULL, 0xffffffff81200467ULL,
			   0xffffffffc0a0101aULL, 0xffffffff70000000ULL };
	struct kstack st = { .pcs = pcs, .nr = 4 };
	struct ksyms k;
	char *o;

	load_test_ksyms(&k);
	memcpy(r.comm, "cat", 4);
	r.flags |= PVFBT_REC_TAILCALL;
	r.args[0] = 0x1234;
	o = capture_event_stack(&r, "fbt:vmlinux:vfs_read:return", 0, NULL, &k);
	CHECK_STR(o, "     1.000000005   0      77/77      cat              "
		  "fbt:vmlinux:vfs_read:return  (tail call)\n");
	free(o);
	o = capture_event_stack(&r, "fbt:vmlinux:vfs_read:return", 1, NULL, &k);
	CHECK_STR(o, "{\"ts\":1000000005,\"cpu\":0,\"pid\":77,\"tid\":77,"
		  "\"comm\":\"cat\",\"probe\":\"fbt:vmlinux:vfs_read:return\","
		  "\"ip\":0,\"tailcall\":true}\n");
	free(o);
	/* with a stack */
	r.flags = PVFBT_REC_RETURN | PVFBT_REC_STACKED;
	o = capture_event_stack(&r, "fbt:vmlinux:vfs_read:return", 0, &st, &k);
	CHECK_STR(o, "     1.000000005   0      77/77      cat              "
		  "fbt:vmlinux:vfs_read:return  = 0x1234 (4660)\n"
		  "        vfs_read+0x30\n"
		  "        ksys_read+0x67\n"
		  "        ext4_read_thing+0x1a [ext4]\n"
		  "        0xffffffff70000000\n");
	free(o);
	o = capture_event_stack(&r, "fbt:vmlinux:vfs_read:return", 1, &st, &k);
	CHECK_STR(o, "{\"ts\":1000000005,\"cpu\":0,\"pid\":77,\"tid\":77,"
		  "\"comm\":\"cat\",\"probe\":\"fbt:vmlinux:vfs_read:return\","
		  "\"ip\":0,\"retval\":4660,\"stack\":[\"vfs_read+0x30\","
		  "\"ksys_read+0x67\",\"ext4_read_thing+0x1a [ext4]\","
		  "\"0xffffffff70000000\"]}\n");
	free(o);
	/* incomplete, and empty */
	st.nr = 1;
	st.incomplete = 1;
	o = capture_event_stack(&r, "p", 0, &st, &k);
	CHECK(strstr(o, "(4660)\n        vfs_read+0x30\n        [stack incomplete]\n") != NULL);
	free(o);
	o = capture_event_stack(&r, "p", 1, &st, &k);
	CHECK(strstr(o, ",\"stack\":[\"vfs_read+0x30\"],\"stack_incomplete\":true}\n") != NULL);
	free(o);
	st.nr = 0;
	o = capture_event_stack(&r, "p", 1, &st, &k);
	CHECK(strstr(o, ",\"stack\":[],\"stack_incomplete\":true}\n") != NULL);
	free(o);
	/* without kallsyms addresses: hex */
	ksyms_free(&k);
	st.nr = 2;
	st.incomplete = 0;
	o = capture_event_stack(&r, "p", 0, &st, &k);
	CHECK(strstr(o, "\n        0xffffffff81200030\n        0xffffffff81200467\n") != NULL);
	free(o);
}

/* --count --stack */
static void test_stack_counts(void)
{
	struct stack_counts sc;
	struct catalogue c;
	struct ksyms k;
	uint64_t a[] = { 0xffffffff81200005ULL, 0xffffffff81200467ULL,
			 0xffffffff81201038ULL };
	uint64_t b[] = { 0xffffffff81200005ULL, 0xffffffffc0a0101aULL };
	struct kstack sa = { a, 3, 0 }, sb = { b, 2, 0 }, sinc = { b, 1, 1 };
	struct pvfbt_record e = rec(1, 0, 9, 0, 0, 1), r2 = rec(1, 1, 9, 0, 0, 2);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	fake_catalogue(&c);
	load_test_ksyms(&k);
	CHECK(stack_counts_init(&sc) == 0);
	for (i = 0; i < 1000; i++) {	/* grows the table a few times */
		uint64_t x[2] = { 0xffffffff81200000ULL + i, 0xffffffff81200467ULL };
		struct kstack sx = { x, 2, 0 };

		stack_counts_add(&sc, &e, i < 997 ? &sa : &sb);
		if (i < 5)
			stack_counts_add(&sc, &r2, &sinc);
		if (i < 2)
			stack_counts_add(&sc, &r2, NULL);
		if (i >= 990)	/* 10 different stacks, once each */
			stack_counts_add(&sc, &e, &sx);
	}
	/* the same frames under another probe are another key */
	stack_counts_add(&sc, &r2, &sb);
	CHECK_EQ_U(sc.nr, 1 + 1 + 1 + 1 + 10 + 1);
	/* 300 distinct stacks: all kept */
	for (i = 0; i < 300; i++) {
		uint64_t x[1] = { 0xffffffff81201000ULL + i };
		struct kstack sx = { x, 1, 0 };

		stack_counts_add(&sc, &r2, &sx);
	}
	CHECK_EQ_U(sc.nr, 315);
	stack_counts_free(&sc);

	CHECK(stack_counts_init(&sc) == 0);
	for (i = 0; i < 7; i++)
		stack_counts_add(&sc, &e, &sa);
	for (i = 0; i < 3; i++)
		stack_counts_add(&sc, &e, &sb);
	for (i = 0; i < 2; i++)
		stack_counts_add(&sc, &r2, &sinc);
	stack_counts_add(&sc, &r2, NULL);
	f = open_memstream(&buf, &len);
	stack_counts_print(f, &sc, &c, &k);
	fclose(f);
	CHECK_STR(buf,
		  "fbt:vmlinux:vfs_read:return\n"
		  "           1\n"
		  "\n"
		  "fbt:vmlinux:vfs_read:return\n"
		  "        vfs_read+0x5\n"
		  "        [stack incomplete]\n"
		  "           2\n"
		  "\n"
		  "fbt:vmlinux:vfs_read:entry\n"
		  "        vfs_read+0x5\n"
		  "        ext4_read_thing+0x1a [ext4]\n"
		  "           3\n"
		  "\n"
		  "fbt:vmlinux:vfs_read:entry\n"
		  "        vfs_read+0x5\n"
		  "        ksys_read+0x67\n"
		  "        do_syscall_64+0x38\n"
		  "           7\n");
	free(buf);
	stack_counts_free(&sc);
	ksyms_free(&k);
	cat_free(&c);
}

/* ------------------------------------------------------------------ */
/* The drainer, on fake rings */

#define NREC	8	/* records per fake ring */

struct fake_rings {
	void *base[3];
	uint32_t ncpu;
};

static void fake_rings_init(struct fake_rings *fr, uint32_t ncpu,
			    uint64_t start)
{
	size_t sz = RING_HEADER_SIZE + NREC * sizeof(struct pvfbt_record);

	fr->ncpu = ncpu;
	for (uint32_t c = 0; c < ncpu; c++) {
		struct pvfbt_ring_header *h;

		fr->base[c] = aligned_alloc(4096, (sz + 4095) & ~4095UL);
		memset(fr->base[c], 0xa5, sz);
		h = fr->base[c];
		memset(h, 0, sizeof(*h));
		h->head = h->tail = start;
		h->record_size = sizeof(struct pvfbt_record);
		h->nr_records = NREC;
	}
}

/* The module's side: append a record. */
static void fake_push(struct fake_rings *fr, uint16_t cpu,
		      struct pvfbt_record r)
{
	struct pvfbt_ring_header *h = fr->base[cpu];
	struct pvfbt_record *data = (void *)((char *)h + RING_HEADER_SIZE);

	r.cpu = cpu;
	data[h->head & (NREC - 1)] = r;
	__atomic_store_n(&h->head, h->head + 1, __ATOMIC_RELEASE);
}

static void fake_rings_free(struct fake_rings *fr)
{
	for (uint32_t c = 0; c < fr->ncpu; c++)
		free(fr->base[c]);
}

struct sink {
	struct pvfbt_record r[64];
	int n;
};

static void sink_fn(const struct pvfbt_record *r, const struct kstack *st,
		    void *arg)
{
	struct sink *s = arg;

	(void)st;
	if (s->n < 64)
		s->r[s->n++] = *r;
}

static void test_drain_merge(void)
{
	struct fake_rings fr;
	struct drainer d;
	struct sink s = { .n = 0 };
	uint64_t tails[2];

	/* Start near a wrap of the index, not at 0. */
	fake_rings_init(&fr, 2, 1000 * NREC - 3);
	CHECK(drainer_init(&d, 2, sizeof(struct pvfbt_record), NREC,
			   fr.base) == 0);
	CHECK_EQ_U(drainer_collect(&d), 0);
	fake_push(&fr, 0, rec(1, 0, 1, 0, 0, 10));
	fake_push(&fr, 1, rec(2, 0, 2, 0, 0, 5));
	fake_push(&fr, 0, rec(1, 1, 1, 0, 0, 30));
	fake_push(&fr, 1, rec(2, 1, 2, 0, 0, 20));
	fake_push(&fr, 1, rec(3, 0, 2, 0, 0, 30));	/* same ts as cpu0's */
	fake_push(&fr, 0, rec(4, 0, 1, 0, 0, 100));
	CHECK_EQ_U(drainer_collect(&d), 6);
	drainer_tails(&d, tails);
	CHECK_EQ_U(tails[0], 1000 * NREC);
	CHECK_EQ_U(tails[1], 1000 * NREC);
	/* Hold back ts >= 50. */
	CHECK_EQ_U(drainer_emit(&d, 50, sink_fn, &s), 5);
	CHECK_EQ_U(s.n, 5);
	if (s.n == 5) {
		CHECK_EQ_U(s.r[0].ts, 5);
		CHECK_EQ_U(s.r[1].ts, 10);
		CHECK_EQ_U(s.r[2].ts, 20);
		CHECK_EQ_U(s.r[3].ts, 30);
		CHECK_EQ_U(s.r[3].cpu, 0);	/* ties: cpu order */
		CHECK_EQ_U(s.r[4].ts, 30);
		CHECK_EQ_U(s.r[4].cpu, 1);
		CHECK_EQ_U(s.r[4].probe_id, 6);
	}
	CHECK_EQ_U(d.npending, 1);
	/* A late record older than the held one comes out first. */
	fake_push(&fr, 1, rec(5, 0, 2, 0, 0, 60));
	fake_push(&fr, 1, rec(5, 1, 2, 0, 0, 200));
	CHECK_EQ_U(drainer_collect(&d), 2);
	s.n = 0;
	CHECK_EQ_U(drainer_emit(&d, 150, sink_fn, &s), 2);
	CHECK_EQ_U(s.r[0].ts, 60);
	CHECK_EQ_U(s.r[1].ts, 100);
	s.n = 0;
	CHECK_EQ_U(drainer_emit(&d, UINT64_MAX, sink_fn, &s), 1);
	CHECK_EQ_U(s.r[0].ts, 200);
	CHECK_EQ_U(d.npending, 0);
	CHECK_EQ_U(d.collected, 8);
	CHECK_EQ_U(d.emitted, 8);
	CHECK_EQ_U(d.overrun, 0);
	drainer_free(&d);
	fake_rings_free(&fr);
}

static void test_drain_full_ring_and_overrun(void)
{
	struct fake_rings fr;
	struct drainer d;
	struct sink s = { .n = 0 };
	struct pvfbt_ring_header *h;
	int i;

	fake_rings_init(&fr, 1, 5);
	CHECK(drainer_init(&d, 1, sizeof(struct pvfbt_record), NREC,
			   fr.base) == 0);
	/* exactly full: all NREC records readable, in order across the wrap */
	for (i = 0; i < NREC; i++)
		fake_push(&fr, 0, rec(i, 0, 1, 0, 0, 100 + i));
	CHECK_EQ_U(drainer_collect(&d), NREC);
	CHECK_EQ_U(drainer_emit(&d, UINT64_MAX, sink_fn, &s), NREC);
	for (i = 0; i < NREC; i++)
		CHECK_EQ_U(s.r[i].probe_id, 2 * i);
	/* a broken head, more than a ring ahead: read the newest NREC */
	h = fr.base[0];
	for (i = 0; i < NREC + 3; i++)
		fake_push(&fr, 0, rec(i, 0, 1, 0, 0, 1000 + i));
	s.n = 0;
	CHECK_EQ_U(drainer_collect(&d), NREC);
	CHECK_EQ_U(d.overrun, 3);
	CHECK_EQ_U(drainer_emit(&d, UINT64_MAX, sink_fn, &s), NREC);
	CHECK_EQ_U(s.r[0].ts, 1003);
	/* a head behind our tail: resynchronise, read nothing */
	h->head -= 2;
	CHECK_EQ_U(drainer_collect(&d), 0);
	CHECK_EQ_U(d.rings[0].tail, h->head);
	drainer_free(&d);
	fake_rings_free(&fr);
	/* bad geometry */
	CHECK(drainer_init(&d, 1, 128, 6, fr.base) != 0);
}


/* The module's side: an event and its stack records, published at once. */
static void fake_push_slots(struct fake_rings *fr, uint16_t cpu,
			    const void *const *slots, int n)
{
	struct pvfbt_ring_header *h = fr->base[cpu];
	char *data = (char *)h + RING_HEADER_SIZE;

	for (int i = 0; i < n; i++)
		memcpy(data + ((h->head + i) & (NREC - 1)) *
		       sizeof(struct pvfbt_record), slots[i],
		       sizeof(struct pvfbt_record));
	__atomic_store_n(&h->head, h->head + n, __ATOMIC_RELEASE);
}

static struct pvfbt_stack_record srec(const struct pvfbt_record *ev,
				      uint16_t nr, uint16_t more, uint64_t base)
{
	struct pvfbt_stack_record s;

	memset(&s, 0, sizeof(s));
	s.ts = ev->ts;
	s.probe_id = ev->probe_id;
	s.cpu = ev->cpu;
	s.flags = PVFBT_REC_STACK;
	s.nr = nr;
	s.more = more;
	for (int i = 0; i < PVFBT_STACK_PER_REC; i++)
		s.pcs[i] = base + i;
	return s;
}

/* An event with DEPTH frames (base, base + 1, ...) in 1..3 records. */
static void push_stacked(struct fake_rings *fr, uint16_t cpu,
			 struct pvfbt_record ev, int depth)
{
	struct pvfbt_stack_record st[PVFBT_STACK_RECS];
	const void *slots[1 + PVFBT_STACK_RECS] = { &ev };
	int nrec = (depth + PVFBT_STACK_PER_REC - 1) / PVFBT_STACK_PER_REC;

	ev.cpu = cpu;
	ev.flags |= PVFBT_REC_STACKED;
	for (int k = 0; k < nrec; k++) {
		int n = depth - k * PVFBT_STACK_PER_REC;

		st[k] = srec(&ev, n > PVFBT_STACK_PER_REC ? PVFBT_STACK_PER_REC : n,
			     nrec - 1 - k, 0x1000 * ev.ts + k * PVFBT_STACK_PER_REC);
		slots[k + 1] = &st[k];
	}
	fake_push_slots(fr, cpu, slots, 1 + nrec);
}

struct stack_sink {
	struct {
		struct pvfbt_record r;
		int stacked, incomplete;
		uint32_t nr;
		uint64_t pcs[PVFBT_STACK_MAX];
	} e[32];
	int n;
};

static void stack_sink_fn(const struct pvfbt_record *r, const struct kstack *st,
			  void *arg)
{
	struct stack_sink *s = arg;

	if (s->n >= 32)
		return;
	s->e[s->n].r = *r;
	s->e[s->n].stacked = st != NULL;
	s->e[s->n].incomplete = st ? st->incomplete : 0;
	s->e[s->n].nr = st ? st->nr : 0;
	if (st && st->nr)
		memcpy(s->e[s->n].pcs, st->pcs, st->nr * sizeof(uint64_t));
	s->n++;
}

static int frames_are(const struct stack_sink *s, int i, uint64_t base,
		      uint32_t nr)
{
	if (s->e[i].nr != nr)
		return 0;
	for (uint32_t k = 0; k < nr; k++)
		if (s->e[i].pcs[k] != base + k)
			return 0;
	return 1;
}

/* 1, 2 and 3 stack records, across the wrap of the ring index. */
static void test_drain_stack_records(void)
{
	struct fake_rings fr;
	struct drainer d;
	static struct stack_sink s;
	int depths[] = { 1, 13, 14, 26, 27, 39, 5 };

	s.n = 0;
	fake_rings_init(&fr, 2, 1000 * NREC - 2);
	CHECK(drainer_init(&d, 2, sizeof(struct pvfbt_record), NREC,
			   fr.base) == 0);
	for (int i = 0; i < 7; i++) {
		/* one event at a time on cpu 0 (a ring of 8 holds 4 slots
		 * of the biggest), a plain event on cpu 1 with the same ts */
		push_stacked(&fr, 0, rec(1, 0, 5, 0, 0, 10 + i), depths[i]);
		fake_push(&fr, 1, rec(2, 0, 6, 0, 0, 10 + i));
		CHECK_EQ_U(drainer_collect(&d),
			   2 + (depths[i] + PVFBT_STACK_PER_REC - 1) /
			   PVFBT_STACK_PER_REC);
	}
	CHECK_EQ_U(d.collected, 14);
	CHECK_EQ_U(d.stack_records, 1 + 1 + 2 + 2 + 3 + 3 + 1);
	CHECK_EQ_U(d.stack_orphans + d.stack_incomplete, 0);
	CHECK_EQ_U(drainer_emit(&d, UINT64_MAX, stack_sink_fn, &s), 14);
	CHECK_EQ_U(s.n, 14);
	for (int i = 0; i < 7 && s.n == 14; i++) {
		int a = 2 * i, b = 2 * i + 1;	/* ties: cpu 0 first */

		CHECK_EQ_U(s.e[a].r.probe_id, 2);
		CHECK(s.e[a].stacked && !s.e[a].incomplete);
		CHECK(frames_are(&s, a, 0x1000 * (10 + i), depths[i]));
		CHECK_EQ_U(s.e[b].r.probe_id, 4);
		CHECK(!s.e[b].stacked);
	}
	CHECK_EQ_U(d.emitted, 14);
	drainer_free(&d);
	fake_rings_free(&fr);
}

/* STACKED events followed by no or malformed stack records. */
static void test_drain_stack_garbage(void)
{
	struct fake_rings fr;
	struct drainer d;
	static struct stack_sink s;
	struct pvfbt_record ev = rec(1, 0, 5, 0, 0, 100), nx = rec(2, 1, 5, 0, 0, 101);
	struct pvfbt_stack_record a, b;

	s.n = 0;
	fake_rings_init(&fr, 1, 3);
	CHECK(drainer_init(&d, 1, sizeof(struct pvfbt_record), NREC,
			   fr.base) == 0);
	ev.flags |= PVFBT_REC_STACKED;

#define ROUND(nslots, ...) do {						\
		const void *_sl[] = { __VA_ARGS__ };			\
		fake_push_slots(&fr, 0, _sl, nslots);			\
		CHECK_EQ_U(drainer_collect(&d), nslots);		\
		drainer_emit(&d, UINT64_MAX, stack_sink_fn, &s);	\
	} while (0)

	/* 0: a stack record first, with no event: skipped */
	a = srec(&ev, 3, 0, 0x10);
	ROUND(2, &a, &nx);
	/* 1: no stack record: the next record is the next event */
	ROUND(2, &ev, &nx);
	/* 2: 2 frames, says one more follows, then one with nr 0 */
	a = srec(&ev, 2, 1, 0x20);
	b = srec(&ev, 0, 0, 0x30);
	ROUND(4, &ev, &a, &b, &nx);
	/* 3: the second record's more is wrong */
	a = srec(&ev, 13, 2, 0x40);
	b = srec(&ev, 13, 0, 0x60);
	ROUND(4, &ev, &a, &b, &nx);
	/* 4: another probe id */
	a = srec(&ev, 3, 0, 0x70);
	a.probe_id = 7;
	ROUND(3, &ev, &a, &nx);
	/* 5: nr too big; more too big */
	a = srec(&ev, 14, 0, 0x80);
	b = srec(&ev, 1, 3, 0x90);
	ROUND(3, &ev, &a, &nx);
	ROUND(3, &ev, &b, &nx);
	/* 6: the chain is cut by head (never with a sane module) */
	a = srec(&ev, 13, 1, 0xa0);
	ROUND(2, &ev, &a);
	/* 7: a good one after all that */
	a = srec(&ev, 2, 0, 0xb0);
	ROUND(3, &ev, &a, &nx);
#undef ROUND
	/* events: 1 + 2 + 2 + 2 + 2 + 2 + 2 + 1 + 2 */
	CHECK_EQ_U(s.n, 16);
	CHECK_EQ_U(d.collected, 16);
	CHECK_EQ_U(d.stack_orphans, 1 + 1 + 1 + 1 + 1 + 1);
	CHECK_EQ_U(d.stack_incomplete, 7);
	CHECK_EQ_U(d.stack_records, 1 + 1 + 1 + 1);	/* rounds 2, 3, 6, 7 */
	if (s.n == 16) {
		CHECK(!s.e[0].stacked && s.e[0].r.probe_id == 5);
		CHECK(s.e[1].stacked && s.e[1].incomplete && s.e[1].nr == 0);
		CHECK(!s.e[2].stacked && s.e[2].r.probe_id == 5);
		CHECK(s.e[3].incomplete && frames_are(&s, 3, 0x20, 2));
		CHECK(!s.e[4].stacked && s.e[4].r.probe_id == 5);
		CHECK(s.e[5].incomplete && frames_are(&s, 5, 0x40, 13));
		CHECK(!s.e[6].stacked && s.e[6].r.probe_id == 5);
		CHECK(s.e[7].incomplete && s.e[7].nr == 0);
		CHECK(!s.e[8].stacked);
		CHECK(s.e[9].incomplete && s.e[9].nr == 0);
		CHECK(s.e[11].incomplete && s.e[11].nr == 0);
		CHECK(s.e[13].incomplete && frames_are(&s, 13, 0xa0, 13));
		CHECK(s.e[14].stacked && !s.e[14].incomplete &&
		      frames_are(&s, 14, 0xb0, 2));
		CHECK(!s.e[15].stacked && s.e[15].r.probe_id == 5);
	}
	drainer_free(&d);
	fake_rings_free(&fr);
}

/* Stacks held back by the merge window stay with their event; an overrun
 * that starts in the middle of a chain skips its rest. */
static void test_drain_stack_holdback_overrun(void)
{
	struct fake_rings fr;
	struct drainer d;
	static struct stack_sink s;
	struct pvfbt_ring_header *h;

	s.n = 0;
	fake_rings_init(&fr, 2, 0);
	CHECK(drainer_init(&d, 2, sizeof(struct pvfbt_record), NREC,
			   fr.base) == 0);
	push_stacked(&fr, 0, rec(1, 0, 5, 0, 0, 50), 20);
	push_stacked(&fr, 1, rec(1, 1, 5, 0, 0, 40), 3);
	CHECK_EQ_U(drainer_collect(&d), 5);
	CHECK_EQ_U(drainer_emit(&d, 45, stack_sink_fn, &s), 1);
	push_stacked(&fr, 1, rec(2, 0, 5, 0, 0, 45), 27);
	CHECK_EQ_U(drainer_collect(&d), 4);
	CHECK_EQ_U(drainer_emit(&d, UINT64_MAX, stack_sink_fn, &s), 2);
	CHECK_EQ_U(s.n, 3);
	if (s.n == 3) {
		CHECK(s.e[0].r.ts == 40 && frames_are(&s, 0, 0x1000 * 40, 3));
		CHECK(s.e[1].r.ts == 45 && frames_are(&s, 1, 0x1000 * 45, 27));
		CHECK(s.e[2].r.ts == 50 && frames_are(&s, 2, 0x1000 * 50, 20));
	}
	/* cpu 0: a broken head 2 records past a full ring: the oldest
	 * readable slot is the second stack record of an event */
	h = fr.base[0];
	push_stacked(&fr, 0, rec(3, 0, 5, 0, 0, 60), 39);	/* 4 slots */
	push_stacked(&fr, 0, rec(3, 0, 5, 0, 0, 61), 39);
	push_stacked(&fr, 0, rec(3, 0, 5, 0, 0, 62), 1);	/* 2 slots */
	CHECK_EQ_U(h->head - d.rings[0].tail, 10);
	s.n = 0;
	CHECK_EQ_U(drainer_collect(&d), NREC);
	CHECK_EQ_U(d.overrun, 2);
	CHECK_EQ_U(d.stack_orphans, 2);
	CHECK_EQ_U(drainer_emit(&d, UINT64_MAX, stack_sink_fn, &s), 2);
	CHECK(s.n == 2 && frames_are(&s, 0, 0x1000 * 61, 39) &&
	      frames_are(&s, 1, 0x1000 * 62, 1));
	/* pending stacks are freed by drainer_free */
	push_stacked(&fr, 1, rec(2, 0, 5, 0, 0, 70), 27);
	CHECK_EQ_U(drainer_collect(&d), 4);
	drainer_free(&d);
	fake_rings_free(&fr);
}

/* The whole consumer path on fake rings: drain -> count / latency. */
struct pipe_ctx {
	struct counts counts;
	struct lat lat;
	uint64_t events;
};

static void pipe_fn(const struct pvfbt_record *r, const struct kstack *st,
		    void *arg)
{
	struct pipe_ctx *p = arg;

	CHECK(st == NULL);
	p->events++;
	counts_add(&p->counts, r);
	lat_record(&p->lat, r);
}

static void test_drain_pipeline(void)
{
	struct fake_rings fr;
	struct drainer d;
	struct pipe_ctx p;
	struct catalogue c;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	uint64_t ts = 1;
	int i, round;

	fake_catalogue(&c);
	fake_rings_init(&fr, 3, 0);
	CHECK(drainer_init(&d, 3, sizeof(struct pvfbt_record), NREC,
			   fr.base) == 0);
	memset(&p, 0, sizeof(p));
	CHECK(counts_init(&p.counts, 2 * c.nr_fid, COUNT_BY_PID, 0) == 0);
	CHECK(lat_init(&p.lat, c.nr_fid) == 0);
	lat_track(&p.lat, 0);
	lat_track(&p.lat, 1);
	/* 100 getppid calls by pid 50 on cpu 0..2, migrating between entry
	 * and return; 10 vfs_read by pid 60.  Drained every few records, as
	 * a ring holds only NREC. */
	for (round = 0; round < 100; round++) {
		uint16_t c0 = round % 3, c1 = (round + 1) % 3;

		fake_push(&fr, c0, rec(0, 0, 50, 0, STK + 0x3f58, ts++));
		fake_push(&fr, c1, rec(0, 1, 50, 0, STK + 0x3f58, ts++));
		if (round % 10 == 0) {
			fake_push(&fr, c1, rec(1, 0, 60, 0, STK + 0x3000, ts++));
			fake_push(&fr, c0, rec(1, 1, 60, 0, STK + 0x3000, ts += 1000));
		}
		drainer_collect(&d);
		drainer_emit(&d, ts > 3 ? ts - 3 : 0, pipe_fn, &p);
	}
	drainer_collect(&d);
	drainer_emit(&d, UINT64_MAX, pipe_fn, &p);
	CHECK_EQ_U(p.events, 220);
	CHECK_EQ_U(p.counts.by_id[0], 100);
	CHECK_EQ_U(p.counts.by_id[1], 100);
	CHECK_EQ_U(p.counts.by_id[2], 10);
	CHECK_EQ_U(hcount(&p.lat, 0), 100);
	CHECK_EQ_U(hcount(&p.lat, 1), 10);
	CHECK_EQ_U(lat_hist(&p.lat, 1)->min, 1001);
	CHECK_EQ_U(p.lat.unmatched, 0);
	f = open_memstream(&buf, &len);
	counts_print(f, &p.counts, &c);
	fclose(f);
	{
		const char *want =
"PROBE                                                             PID        COUNT\n"
"fbt:vmlinux:__x64_sys_getppid:entry                                50          100\n"
"fbt:vmlinux:__x64_sys_getppid:return                               50          100\n"
"fbt:vmlinux:vfs_read:entry                                         60           10\n"
"fbt:vmlinux:vfs_read:return                                        60           10\n";
		CHECK_STR(buf, want);
	}
	free(buf);
	p.counts.by = COUNT_BY_PROBE;
	buf = NULL;
	f = open_memstream(&buf, &len);
	counts_print(f, &p.counts, &c);
	fclose(f);
	CHECK(strncmp(buf, "PROBE", 5) == 0);
	CHECK(strstr(buf, "fbt:vmlinux:vfs_read:return                                            10\n") != NULL);
	free(buf);
	counts_free(&p.counts);
	lat_free(&p.lat);
	drainer_free(&d);
	fake_rings_free(&fr);
	cat_free(&c);
	(void)i;
}

/* ------------------------------------------------------------------ */
/* pvfbt -l --ko */

static void test_ko_read(void)
{
	struct ko_file ko;
	char err[256], name[64];
	int found_read = 0, found_helper = 0, found_init = 0, found_data = 0;

	if (ko_read("fakemod.o", &ko, err, sizeof(err))) {
		printf("# ko_read: %s\n", err);
		failed_checks++;
		return;
	}
	CHECK_STR(ko.modname, "fake_mod");
	for (size_t i = 0; i < ko.nr; i++) {
		if (!strcmp(ko.funcs[i].name, "fake_read"))
			found_read = 1;
		if (!strcmp(ko.funcs[i].name, "fake_helper"))
			found_helper = 1;
		if (!strcmp(ko.funcs[i].name, "fake_init")) {
			found_init = 1;
			CHECK_STR(ko.funcs[i].section, ".init.text");
		}
		if (!strcmp(ko.funcs[i].name, "fake_data"))
			found_data = 1;
	}
	CHECK(found_read && found_helper && found_init && !found_data);
	ko_free(&ko);
	CHECK(ko_read("no-such-file.ko", &ko, err, sizeof(err)) != 0);
	CHECK(strstr(err, "No such file") != NULL);
	CHECK(ko_read("Makefile", &ko, err, sizeof(err)) != 0);
	ko_name_from_path("/lib/modules/x/kernel/drivers/foo-bar.ko", name,
			  sizeof(name));
	CHECK_STR(name, "foo_bar");
	ko_name_from_path("plain", name, sizeof(name));
	CHECK_STR(name, "plain");
}

/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Typed values from BTF: a BTF built with libbpf, read as the kernel's */

static void fake_func(struct pvfbt_func *f, uint32_t fid, const char *mod,
		      const char *name)
{
	memset(f, 0, sizeof(*f));
	f->fid = fid;
	snprintf(f->module, sizeof(f->module), "%s", mod);
	snprintf(f->name, sizeof(f->name), "%s", name);
}

static const char *fmt_arg(const struct fproto *p, int i, uint64_t raw)
{
	static char buf[128];

	fval_format(buf, sizeof(buf), p, i < 0 ? &p->ret : &p->args[i], raw);
	return buf;
}

static void test_btf_values(void)
{
	char dir[] = "/tmp/pvfbt-btf-XXXXXX", path[64], decl[256];
	struct btf *b = btf__new_empty();
	int s16, u16, u8, e16, e64, sch, pr, ub, u32t;
	const void *raw;
	uint32_t size;
	struct pvfbt_func f;
	const struct fproto *p;
	struct kbtf *k;
	const char *why;
	FILE *fp;

	CHECK(b != NULL && mkdtemp(dir) != NULL);
	if (!b)
		return;
	s16 = btf__add_int(b, "short int", 2, BTF_INT_SIGNED);
	u16 = btf__add_int(b, "short unsigned int", 2, 0);
	u8 = btf__add_int(b, "unsigned char", 1, 0);
	sch = btf__add_int(b, "signed char", 1, BTF_INT_SIGNED | BTF_INT_CHAR);
	ub = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
	u32t = btf__add_typedef(b, "u16_t", u16);
	e16 = btf__add_enum(b, "e16", 2);
	btf__add_enum_value(b, "E_MINUS", -2);
	btf__add_enum_value(b, "E_BIG", 0x7fff);
	e64 = btf__add_enum64(b, "e64", 8, true);
	btf__add_enum64_value(b, "E64_HIGH", 0x8000000000000001ULL);
	/* short small(short s, u16_t u, e16 e, e64 f, signed char c, u8 b) */
	pr = btf__add_func_proto(b, s16);
	btf__add_func_param(b, "s", s16);
	btf__add_func_param(b, "u", u32t);
	btf__add_func_param(b, "e", e16);
	btf__add_func_param(b, "f", e64);
	btf__add_func_param(b, "c", sch);
	btf__add_func_param(b, "", u8);	/* no name: arg5 */
	btf__add_func(b, "small", BTF_FUNC_GLOBAL, pr);
	/* dup: two FUNCs, two prototypes (static functions in two files) */
	btf__add_func(b, "dup", BTF_FUNC_STATIC, pr);
	pr = btf__add_func_proto(b, ub);
	btf__add_func_param(b, "x", u8);
	btf__add_func(b, "dup", BTF_FUNC_STATIC, pr);
	/* same: two FUNCs, one prototype (one inline function, two copies) */
	btf__add_func(b, "same", BTF_FUNC_STATIC, pr);
	btf__add_func(b, "same", BTF_FUNC_STATIC, pr);
	raw = btf__raw_data(b, &size);
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	fp = fopen(path, "w");
	CHECK(raw && fp && fwrite(raw, 1, size, fp) == size);
	if (fp)
		fclose(fp);
	btf__free(b);

	setenv("PVFBT_BTF_DIR", dir, 1);
	k = kbtf_open(&why);
	unsetenv("PVFBT_BTF_DIR");
	CHECK(k != NULL);
	if (!k)
		goto out;
	fake_func(&f, 7, "vmlinux", "small");
	btf_note_func(k, &f);
	p = btf_proto(k, &f);
	CHECK(p != NULL);
	if (p) {
		CHECK(btf_proto(k, &f) == p);	/* cached by fid */
		CHECK_EQ_U(p->nr_args, 6);
		CHECK_EQ_U(p->more, 0);
		CHECK_STR(p->args[5].name, "arg5");
		CHECK_STR(fmt_arg(p, 0, 0x1234fffe), "-2");
		CHECK_STR(fmt_arg(p, 1, 0xffffffffffff8000ULL), "32768");
		CHECK_STR(fmt_arg(p, 2, 0xaaaafffe), "E_MINUS");
		CHECK_STR(fmt_arg(p, 2, 0x7fff), "E_BIG");
		CHECK_STR(fmt_arg(p, 2, 0x10005), "5");
		CHECK_STR(fmt_arg(p, 2, 0x8000), "-32768");
		CHECK_STR(fmt_arg(p, 3, 0x8000000000000001ULL), "E64_HIGH");
		CHECK_STR(fmt_arg(p, 3, 3), "3");
		CHECK_STR(fmt_arg(p, 4, 0x180), "-128");
		CHECK_STR(fmt_arg(p, 5, 0x1ff), "255");
		CHECK_STR(fmt_arg(p, -1, 0xffff), "-1");
		CHECK(!btf_proto_decl(k, p, decl, sizeof(decl)));
		CHECK_STR(decl, "short int small(short int s, u16_t u, enum e16 e, "
			  "enum e64 f, signed char c, unsigned char)");
	}
	fake_func(&f, 8, "vmlinux", "dup");
	CHECK(btf_proto(k, &f) == NULL);	/* which of the two? */
	fake_func(&f, 9, "vmlinux", "same");
	p = btf_proto(k, &f);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(fmt_arg(p, -1, 0x100), "false");
		CHECK_STR(fmt_arg(p, -1, 0x101), "true");
	}
	/* Two catalogue functions of one name: neither is typed. */
	fake_func(&f, 10, "vmlinux", "small");
	btf_note_func(k, &f);
	CHECK(btf_proto(k, &f) == NULL);
	fake_func(&f, 11, "nomod", "small");
	CHECK(btf_proto(k, &f) == NULL);	/* no module BTF */
	kbtf_close(k);
out:
	unlink(path);
	rmdir(dir);
}

/* System call decoding from the real formats in ./tracefs (6.1, 6.12). */
static char *sys_text(struct syscalls *sc, const char *fn, const uint64_t *a,
		      int ret, int64_t rv)
{
	static char buf[1024];
	struct pvfbt_record r;
	const struct sysdesc *d = sys_lookup(sc, "vmlinux", fn);
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	memset(&r, 0, sizeof(r));
	memcpy(r.args, a, sizeof(r.args));
	r.flags = PVFBT_REC_SYSCALL;
	if (!d || !f) {
		if (f)
			fclose(f);
		return (char *)"(none)";
	}
	if (ret)
		sys_print_return(f, rv);
	else
		sys_print_entry(f, d, &r, NULL);
	fclose(f);
	return buf;
}

static void test_syscall_decode(void)
{
	struct syscalls *sc;
	const struct sysdesc *d;
	char fl[256];
	const uint64_t mm[6] = { 0, 8192, 3, 0x22, ~0ULL, 0 };
	const uint64_t st[6] = { 1, 0, 0x7ffc32f0ca70ULL, 0x1000, 0, 0 };
	const uint64_t st2[6] = { 0xffffff9cULL, 0, 0x10, 0x100 | 0x800 | 0x10000000, 0, 0 };
	const uint64_t rd[6] = { 0x100000003ULL, 0x36422c60ULL, 4096, 0, 0, 0 };

	setenv("PVFBT_TRACEFS", "./tracefs", 1);
	sc = sys_open();
	CHECK(sc);
	CHECK(!sys_lookup(sc, "vmlinux", "vfs_read"));
	CHECK(!sys_lookup(sc, "ext4", "__x64_sys_read"));
	CHECK(!sys_lookup(sc, "vmlinux", "__x64_sys_nosuchcall"));
	d = sys_lookup(sc, "vmlinux", "__x64_sys_openat");
	CHECK(d && d->nargs == 4);
	if (d)
		CHECK_EQ_U(sys_enable_flags(d), PVFBT_ENABLE_SYSCALL | PVFBT_ENABLE_STRING(1));
	d = sys_lookup(sc, "vmlinux", "__x64_sys_read");	/* buf has a count */
	if (d)
		CHECK_EQ_U(sys_enable_flags(d), PVFBT_ENABLE_SYSCALL);
	d = sys_lookup(sc, "vmlinux", "__x64_sys_getppid");
	CHECK(d && d->nargs == 0);
	CHECK_STR(sys_text(sc, "__x64_sys_mmap", mm, 0, 0),
		  "mmap(addr=NULL, len=8192, prot=PROT_READ|PROT_WRITE, "
		  "flags=MAP_PRIVATE|MAP_ANONYMOUS, fd=-1, off=0)");
	/* No string records: the pointer, NULL for 0. */
	CHECK_STR(sys_text(sc, "__x64_sys_newfstatat", st, 0, 0),
		  "newfstatat(dfd=1, filename=NULL, statbuf=0x7ffc32f0ca70, flag=AT_EMPTY_PATH)");
	CHECK_STR(sys_text(sc, "__x64_sys_newfstatat", st2, 0, 0),
		  "newfstatat(dfd=AT_FDCWD, filename=NULL, statbuf=0x10, "
		  "flag=AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT|0x10000000)");
	/* An unsigned int's upper half is not part of it. */
	CHECK_STR(sys_text(sc, "__x64_sys_read", rd, 0, 0),
		  "read(fd=3, buf=0x36422c60, count=4096)");
	CHECK_STR(sys_text(sc, "__x64_sys_read", rd, 1, -9), "= -9 EBADF");
	CHECK_STR(sys_text(sc, "__x64_sys_read", rd, 1, -4096), "= -4096");
	CHECK_STR(sys_text(sc, "__x64_sys_read", rd, 1, 4096), "= 4096");
	sys_oflags(fl, sizeof(fl), 0);
	CHECK_STR(fl, "O_RDONLY");
	sys_oflags(fl, sizeof(fl), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
	CHECK_STR(fl, "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
	sys_oflags(fl, sizeof(fl), O_RDWR | O_SYNC | O_TMPFILE | 0x40000000);
	CHECK_STR(fl, "O_RDWR|O_SYNC|O_TMPFILE|0x40000000");
	sys_close(sc);
	unsetenv("PVFBT_TRACEFS");
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "spec_fields", test_spec_fields },
	{ "syscall_decode", test_syscall_decode },
	{ "spec_empty_fields", test_spec_empty_fields },
	{ "spec_globs", test_spec_globs },
	{ "spec_sys_alias", test_spec_sys_alias },
	{ "spec_malformed", test_spec_malformed },
	{ "spec_provider", test_spec_provider },
	{ "select_probes", test_select },
	{ "select_long_name", test_long_name },
	{ "select_literal_index_same_as_glob", test_select_literal_index },
	{ "select_literal_1000_fast", test_select_literal_1000_fast },
	{ "hist_buckets", test_hist_buckets },
	{ "hist_print_quantize", test_hist_print },
	{ "latency_simple", test_lat_simple },
	{ "latency_nested_recursion", test_lat_nested_and_recursion },
	{ "latency_tailcall", test_lat_tailcall },
	{ "latency_aborted_unmatched", test_lat_aborted_and_unmatched },
	{ "latency_threads_idle_irq_stack", test_lat_threads_and_stacks },
	{ "latency_counts_equal_calls", test_lat_counts_equal_calls },
	{ "latency_recursion_same_function", test_lat_recursion_same_function },
	{ "latency_tailcall_flagged", test_lat_tailcall_flagged },
	{ "latency_return_sites", test_lat_return_sites },
	{ "latency_counts_with_tailcalls", test_lat_counts_with_tailcalls },
	{ "latency_depth_limit", test_lat_depth_limit },
	{ "latency_ops_for_the_timeline", test_lat_ops },
	{ "count_key_parse", test_count_key_parse },
	{ "counts_by_keys", test_counts_by_keys },
	{ "json_escape", test_json_escape },
	{ "event_format_text_json", test_event_format },
	{ "ksyms_kallsyms", test_ksyms },
	{ "event_format_tailcall_stack", test_event_format_tailcall_stack },
	{ "stack_counts", test_stack_counts },
	{ "drain_merge_holdback", test_drain_merge },
	{ "drain_full_ring_overrun", test_drain_full_ring_and_overrun },
	{ "drain_stack_records", test_drain_stack_records },
	{ "drain_stack_garbage", test_drain_stack_garbage },
	{ "drain_stack_holdback_overrun", test_drain_stack_holdback_overrun },
	{ "drain_pipeline_count_latency", test_drain_pipeline },
	{ "ko_read_symtab", test_ko_read },
	{ "btf_values", test_btf_values },
};

int main(void)
{
	size_t n = sizeof(tests) / sizeof(tests[0]), i;
	int bad = 0;

	printf("KTAP version 1\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		int before = failed_checks;

		fflush(stdout);
		tests[i].fn();
		if (failed_checks != before)
			bad++;
		printf("%sok %zu %s\n", failed_checks != before ? "not " : "",
		       i + 1, tests[i].name);
	}
	printf("# %zu tests, %d failed\n", n, bad);
	return bad ? 1 : 0;
}
