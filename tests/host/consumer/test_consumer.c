// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the pvfbt consumer's pure parts: probe descriptions,
 * probe selection, histograms, latency pairing, formatting and the ring
 * drainer (fed with fake rings).  KTAP output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvfbt.h"
#include "drain.h"
#include "kofile.h"
#include "latency.h"
#include "output.h"
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
		print_event_json(f, r, probe);
	else
		print_event_text(f, r, probe);
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

static void sink_fn(const struct pvfbt_record *r, void *arg)
{
	struct sink *s = arg;

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

/* The whole consumer path on fake rings: drain -> count / latency. */
struct pipe_ctx {
	struct counts counts;
	struct lat lat;
	uint64_t events;
};

static void pipe_fn(const struct pvfbt_record *r, void *arg)
{
	struct pipe_ctx *p = arg;

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
	CHECK(counts_init(&p.counts, 2 * c.nr_fid, 1) == 0);
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
	p.counts.by_pid = 0;
	buf = NULL;
	f = open_memstream(&buf, &len);
	counts_print(f, &p.counts, &c);
	fclose(f);
	CHECK(strncmp(buf, "PROBE", 5) == 0);
	CHECK(strstr(buf, "fbt:vmlinux:vfs_read:return                                            10\n") != NULL);
	free(buf);
	p.counts.by_pid = 1;
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

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "spec_fields", test_spec_fields },
	{ "spec_empty_fields", test_spec_empty_fields },
	{ "spec_globs", test_spec_globs },
	{ "spec_sys_alias", test_spec_sys_alias },
	{ "spec_malformed", test_spec_malformed },
	{ "spec_provider", test_spec_provider },
	{ "select_probes", test_select },
	{ "select_long_name", test_long_name },
	{ "hist_buckets", test_hist_buckets },
	{ "hist_print_quantize", test_hist_print },
	{ "latency_simple", test_lat_simple },
	{ "latency_nested_recursion", test_lat_nested_and_recursion },
	{ "latency_tailcall", test_lat_tailcall },
	{ "latency_aborted_unmatched", test_lat_aborted_and_unmatched },
	{ "latency_threads_idle_irq_stack", test_lat_threads_and_stacks },
	{ "latency_counts_equal_calls", test_lat_counts_equal_calls },
	{ "latency_depth_limit", test_lat_depth_limit },
	{ "json_escape", test_json_escape },
	{ "event_format_text_json", test_event_format },
	{ "drain_merge_holdback", test_drain_merge },
	{ "drain_full_ring_overrun", test_drain_full_ring_and_overrun },
	{ "drain_pipeline_count_latency", test_drain_pipeline },
	{ "ko_read_symtab", test_ko_read },
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
