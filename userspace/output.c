// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: the catalogue and event formatting. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "syscall.h"

int cat_index(struct catalogue *c)
{
	uint32_t i, max = 0;

	for (i = 0; i < c->nr; i++)
		if (c->funcs[i].fid + 1 > max)
			max = c->funcs[i].fid + 1;
	free(c->by_fid);
	c->by_fid = calloc(max ? max : 1, sizeof(*c->by_fid));
	if (!c->by_fid)
		return -1;
	c->nr_fid = max;
	for (i = 0; i < c->nr; i++)
		c->by_fid[c->funcs[i].fid] = &c->funcs[i];
	return 0;
}

void cat_free(struct catalogue *c)
{
	free(c->funcs);
	free(c->by_fid);
	memset(c, 0, sizeof(*c));
}

const struct pvfbt_func *cat_fid(const struct catalogue *c, uint32_t fid)
{
	return fid < c->nr_fid ? c->by_fid[fid] : NULL;
}

unsigned probe_reason(const struct pvfbt_func *f, int is_return)
{
	unsigned r = is_return ? f->return_reason : f->entry_reason;

	if (!r && (f->flags & PVFBT_FUNC_GONE))
		r = PVFBT_EXCL_GONE;
	return r;
}

const char *reason_str(unsigned reason)
{
	static const char *const names[] = {
		[PVFBT_OK] = "ok",
		[PVFBT_EXCL_BLACKLIST] = "kprobe-blacklist",
		[PVFBT_EXCL_NOINSTR] = "noinstr",
		[PVFBT_EXCL_ENTRY_TEXT] = "entry-text",
		[PVFBT_EXCL_TRAP_PATH] = "trap-path",
		[PVFBT_EXCL_SELF] = "pvfbt-self",
		[PVFBT_EXCL_DECODE] = "decode",
		[PVFBT_EXCL_NO_RETURN] = "no-return-site",
		[PVFBT_EXCL_TOO_SMALL] = "too-small",
		[PVFBT_EXCL_NOT_TEXT] = "not-text",
		[PVFBT_EXCL_INIT] = "init-text",
		[PVFBT_EXCL_NAME] = "name-too-long",
		[PVFBT_EXCL_GONE] = "module-gone",
		[PVFBT_EXCL_NOTRACE] = "notrace",
		[PVFBT_EXCL_FOREIGN] = "foreign-text",
		[PVFBT_EXCL_BRANCH_TARGET] = "entry-branch-target",
		[PVFBT_EXCL_COLD_PART] = "cold-part",
	};

	if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
		return names[reason];
	return "unknown";
}

static void cstr(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t n = strnlen(src, slen);

	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void probe_fullname(char *buf, size_t len, const struct catalogue *c,
		    uint32_t probe_id)
{
	const struct pvfbt_func *f = cat_fid(c, probe_id / 2);
	const char *name = (probe_id & 1) ? "return" : "entry";
	char mod[PVFBT_MODNAME_LEN + 1], fn[PVFBT_NAME_LEN + 1];

	if (!f) {
		snprintf(buf, len, "fbt:?:#%u:%s", probe_id, name);
		return;
	}
	cstr(mod, sizeof(mod), f->module, sizeof(f->module));
	cstr(fn, sizeof(fn), f->name, sizeof(f->name));
	snprintf(buf, len, "fbt:%s:%s:%s", mod, fn, name);
}

void json_string(FILE *f, const char *s, size_t n)
{
	size_t i;

	putc('"', f);
	for (i = 0; i < n && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		default:
			/* Control bytes, DEL and non-ASCII bytes (comm is not
			 * necessarily UTF-8): \u00XX keeps the output valid. */
			if (ch < 0x20 || ch >= 0x7f)
				fprintf(f, "\\u%04x", ch);
			else
				putc(ch, f);
		}
	}
	putc('"', f);
}

/* comm for the text format: no spaces or control bytes. */
static void text_comm(char *out, const char *comm)
{
	size_t i, n = strnlen(comm, 16);

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)comm[i];

		out[i] = (ch <= ' ' || ch == 0x7f) ? '?' : (char)ch;
	}
	if (!n)
		out[n++] = '-';
	out[n] = '\0';
}

void print_event_text(FILE *f, const struct pvfbt_record *r, const char *probe,
		      const struct sysdesc *sys, const struct evstr *str)
{
	char comm[17];

	text_comm(comm, r->comm);
	fprintf(f, "%6" PRIu64 ".%09" PRIu64 " %3u %7u/%-7u %-16s %s",
		(uint64_t)(r->ts / 1000000000ULL), (uint64_t)(r->ts % 1000000000ULL), r->cpu,
		r->pid, r->tid, comm, probe);
	if ((r->probe_id & 1) && (r->flags & PVFBT_REC_TAILCALL)) {
		fputs("  (tail call)", f);
	} else if ((r->probe_id & 1) && sys) {
		fputs("  ", f);
		sys_print_return(f, (int64_t)r->args[0]);
	} else if (r->probe_id & 1) {
		fprintf(f, "  = 0x%" PRIx64 " (%" PRId64 ")", (uint64_t)r->args[0],
			(int64_t)r->args[0]);
	} else if (sys && (r->flags & PVFBT_REC_SYSCALL)) {
		fputs("  ", f);
		sys_print_entry(f, sys, r, str);
	} else {
		int i;

		putc(' ', f);
		for (i = 0; i < 6; i++)
			fprintf(f, " 0x%" PRIx64, (uint64_t)r->args[i]);
	}
	if (r->flags & PVFBT_REC_NMI)
		fputs(" [nmi]", f);
	putc('\n', f);
}

void print_stack_text(FILE *f, const struct kstack *stack,
		      const struct ksyms *ks)
{
	char sym[PVFBT_NAME_LEN + PVFBT_MODNAME_LEN + 48];
	uint32_t i;

	for (i = 0; i < stack->nr; i++) {
		ksym_format(sym, sizeof(sym), ks, stack->pcs[i]);
		fprintf(f, STACK_INDENT "%s\n", sym);
	}
	if (stack->incomplete)
		fputs(STACK_INDENT STACK_INCOMPLETE "\n", f);
}

void print_event_json(FILE *f, const struct pvfbt_record *r, const char *probe,
		      const struct kstack *stack, const struct ksyms *ks,
		      const struct sysdesc *sys, const struct evstr *str)
{
	fprintf(f, "{\"ts\":%" PRIu64 ",\"cpu\":%u,\"pid\":%u,\"tid\":%u,\"comm\":",
		(uint64_t)r->ts, r->cpu, r->pid, r->tid);
	json_string(f, r->comm, sizeof(r->comm));
	fputs(",\"probe\":", f);
	json_string(f, probe, strlen(probe));
	fprintf(f, ",\"ip\":%" PRIu64, (uint64_t)r->ip);
	if ((r->probe_id & 1) && (r->flags & PVFBT_REC_TAILCALL)) {
		fputs(",\"tailcall\":true", f);
	} else if (r->probe_id & 1) {
		fprintf(f, ",\"retval\":%" PRId64, (int64_t)r->args[0]);
		if (sys) {
			putc(',', f);
			if (!sys_json_errno(f, (int64_t)r->args[0]))
				fputs("\"errno\":null", f);
		}
	} else {
		int i;

		fputs(",\"args\":[", f);
		for (i = 0; i < 6; i++)
			fprintf(f, "%s%" PRIu64, i ? "," : "", (uint64_t)r->args[i]);
		putc(']', f);
		if (sys && (r->flags & PVFBT_REC_SYSCALL)) {
			putc(',', f);
			sys_json_entry(f, sys, r, str);
		}
	}
	if (r->flags & PVFBT_REC_NMI)
		fputs(",\"nmi\":true", f);
	if (stack) {
		char sym[PVFBT_NAME_LEN + PVFBT_MODNAME_LEN + 48];
		uint32_t i;

		fputs(",\"stack\":[", f);
		for (i = 0; i < stack->nr; i++) {
			ksym_format(sym, sizeof(sym), ks, stack->pcs[i]);
			if (i)
				putc(',', f);
			json_string(f, sym, sizeof(sym));
		}
		putc(']', f);
		if (stack->incomplete)
			fputs(",\"stack_incomplete\":true", f);
	}
	fputs("}\n", f);
}

int counts_init(struct counts *c, uint32_t nr_ids, int by_pid)
{
	memset(c, 0, sizeof(*c));
	c->nr_ids = nr_ids;
	c->by_pid = by_pid;
	c->by_id = calloc(nr_ids ? nr_ids : 1, sizeof(*c->by_id));
	if (by_pid) {
		c->cap_pids = 1024;
		c->pids = calloc(c->cap_pids, sizeof(*c->pids));
	}
	return (!c->by_id || (by_pid && !c->pids)) ? -1 : 0;
}

static size_t pid_slot(struct count_pid *t, size_t cap, uint32_t id,
		       uint32_t pid)
{
	uint64_t k = ((uint64_t)id << 32 | pid) * 0x9e3779b97f4a7c15ULL;
	size_t i = (k >> 20) & (cap - 1);

	while (t[i].used && (t[i].id != id || t[i].pid != pid))
		i = (i + 1) & (cap - 1);
	return i;
}

void counts_add(struct counts *c, const struct pvfbt_record *r)
{
	size_t i;

	if (r->probe_id < c->nr_ids)
		c->by_id[r->probe_id]++;
	if (!c->by_pid)
		return;
	if ((c->nr_pids + 1) * 2 > c->cap_pids) {
		size_t ncap = c->cap_pids * 2, j;
		struct count_pid *nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return;
		for (j = 0; j < c->cap_pids; j++)
			if (c->pids[j].used)
				nt[pid_slot(nt, ncap, c->pids[j].id,
					    c->pids[j].pid)] = c->pids[j];
		free(c->pids);
		c->pids = nt;
		c->cap_pids = ncap;
	}
	i = pid_slot(c->pids, c->cap_pids, r->probe_id, r->pid);
	if (!c->pids[i].used) {
		c->pids[i].used = 1;
		c->pids[i].id = r->probe_id;
		c->pids[i].pid = r->pid;
		c->nr_pids++;
	}
	c->pids[i].n++;
}

struct crow {
	uint32_t id, pid;
	uint64_t n;
};

static int crow_cmp(const void *a, const void *b)
{
	const struct crow *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

void counts_print(FILE *f, const struct counts *c, const struct catalogue *cat)
{
	size_t n = 0, i, cap = c->by_pid ? c->nr_pids : c->nr_ids;
	struct crow *rows = calloc(cap ? cap : 1, sizeof(*rows));
	char name[PVFBT_NAME_LEN + PVFBT_MODNAME_LEN + 32];

	if (!rows)
		return;
	if (c->by_pid) {
		for (i = 0; i < c->cap_pids; i++)
			if (c->pids[i].used)
				rows[n++] = (struct crow){ c->pids[i].id,
							   c->pids[i].pid,
							   c->pids[i].n };
	} else {
		for (i = 0; i < c->nr_ids; i++)
			if (c->by_id[i])
				rows[n++] = (struct crow){ (uint32_t)i, 0,
							   c->by_id[i] };
	}
	qsort(rows, n, sizeof(*rows), crow_cmp);
	if (c->by_pid)
		fprintf(f, "%-60s %8s %12s\n", "PROBE", "PID", "COUNT");
	else
		fprintf(f, "%-60s %12s\n", "PROBE", "COUNT");
	for (i = 0; i < n; i++) {
		probe_fullname(name, sizeof(name), cat, rows[i].id);
		if (c->by_pid)
			fprintf(f, "%-60s %8u %12" PRIu64 "\n", name,
				rows[i].pid, rows[i].n);
		else
			fprintf(f, "%-60s %12" PRIu64 "\n", name, rows[i].n);
	}
	free(rows);
}

void counts_free(struct counts *c)
{
	free(c->by_id);
	free(c->pids);
	memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------------ */
/* --count --stack */

static uint64_t stack_hash(uint32_t probe_id, int incomplete,
			   const uint64_t *pcs, uint32_t nr)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)probe_id << 1 |
					       (incomplete ? 1 : 0));
	uint32_t i;

	h *= 0x100000001b3ULL;
	for (i = 0; i < nr; i++) {
		h ^= pcs[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h ^ nr;
}

int stack_counts_init(struct stack_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->cap = 256;
	c->tab = calloc(c->cap, sizeof(*c->tab));
	return c->tab ? 0 : -1;
}

static struct stack_count *sc_slot(struct stack_count *t, size_t cap,
				   uint64_t h, uint32_t probe_id, int incomplete,
				   const uint64_t *pcs, uint32_t nr)
{
	size_t i = (h >> 7) & (cap - 1);

	for (;; i = (i + 1) & (cap - 1)) {
		struct stack_count *e = &t[i];

		if (!e->used)
			return e;
		if (e->hash == h && e->probe_id == probe_id &&
		    e->incomplete == !!incomplete && e->nr == nr &&
		    (!nr || !memcmp(e->pcs, pcs, nr * sizeof(*pcs))))
			return e;
	}
}

void stack_counts_add(struct stack_counts *c, const struct pvfbt_record *r,
		      const struct kstack *stack)
{
	uint32_t nr = stack ? stack->nr : 0;
	const uint64_t *pcs = stack ? stack->pcs : NULL;
	int inc = stack ? stack->incomplete : 0;
	uint64_t h = stack_hash(r->probe_id, inc, pcs, nr);
	struct stack_count *e;

	if ((c->nr + 1) * 2 > c->cap) {
		size_t ncap = c->cap * 2, j;
		struct stack_count *nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return;
		for (j = 0; j < c->cap; j++) {
			struct stack_count *o = &c->tab[j];

			if (o->used)
				*sc_slot(nt, ncap, o->hash, o->probe_id,
					 o->incomplete, o->pcs, o->nr) = *o;
		}
		free(c->tab);
		c->tab = nt;
		c->cap = ncap;
	}
	e = sc_slot(c->tab, c->cap, h, r->probe_id, inc, pcs, nr);
	if (!e->used) {
		if (nr) {
			e->pcs = malloc(nr * sizeof(*pcs));
			if (!e->pcs)
				return;
			memcpy(e->pcs, pcs, nr * sizeof(*pcs));
		}
		e->used = 1;
		e->hash = h;
		e->probe_id = r->probe_id;
		e->incomplete = !!inc;
		e->nr = (uint16_t)nr;
		c->nr++;
	}
	e->n++;
}

static int sc_cmp(const void *a, const void *b)
{
	const struct stack_count *x = *(const struct stack_count *const *)a;
	const struct stack_count *y = *(const struct stack_count *const *)b;
	uint32_t i;

	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	if (x->probe_id != y->probe_id)
		return x->probe_id < y->probe_id ? -1 : 1;
	for (i = 0; i < x->nr && i < y->nr; i++)
		if (x->pcs[i] != y->pcs[i])
			return x->pcs[i] < y->pcs[i] ? -1 : 1;
	if (x->nr != y->nr)
		return x->nr < y->nr ? -1 : 1;
	return (int)x->incomplete - (int)y->incomplete;
}

void stack_counts_print(FILE *f, const struct stack_counts *c,
			const struct catalogue *cat, const struct ksyms *ks)
{
	const struct stack_count **rows = calloc(c->nr ? c->nr : 1,
						 sizeof(*rows));
	char name[PVFBT_NAME_LEN + PVFBT_MODNAME_LEN + 32];
	size_t n = 0, i;

	if (!rows)
		return;
	for (i = 0; i < c->cap; i++)
		if (c->tab[i].used)
			rows[n++] = &c->tab[i];
	qsort(rows, n, sizeof(*rows), sc_cmp);
	for (i = 0; i < n; i++) {
		struct kstack st = {
			.pcs = rows[i]->pcs, .nr = rows[i]->nr,
			.incomplete = rows[i]->incomplete,
		};

		probe_fullname(name, sizeof(name), cat, rows[i]->probe_id);
		fprintf(f, "%s%s\n", i ? "\n" : "", name);
		print_stack_text(f, &st, ks);
		fprintf(f, "%12" PRIu64 "\n", rows[i]->n);
	}
	free(rows);
}

void stack_counts_free(struct stack_counts *c)
{
	size_t i;

	for (i = 0; i < c->cap; i++)
		free(c->tab[i].pcs);
	free(c->tab);
	memset(c, 0, sizeof(*c));
}
