// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: the catalogue and event formatting. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "btf.h"
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
void text_comm(char *out, const char *comm)
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

/* "  vfs_read(file=0xffff888008180400, buf=0x7fff7f2e8fe8, count=832, ...)" */
static void print_args_typed(FILE *f, const struct pvfbt_record *r,
			     const struct fproto *p)
{
	char v[128];
	int i;

	fprintf(f, "  %s(", p->func);
	for (i = 0; i < p->nr_args; i++) {
		fval_format(v, sizeof(v), p, &p->args[i], r->args[i]);
		fprintf(f, "%s%s=%s", i ? ", " : "", p->args[i].name, v);
	}
	if (p->more)
		fputs(p->nr_args ? ", ..." : "...", f);
	putc(')', f);
}

/* A typed value: a JSON string, number, true/false, or null for void. */
static void json_value(FILE *f, const struct fproto *p, const struct fval *v,
		       uint64_t raw)
{
	char buf[128];

	if (v->kind == FV_VOID)
		fputs("null", f);
	else if (fval_format(buf, sizeof(buf), p, v, raw))
		json_string(f, buf, sizeof(buf));
	else
		fputs(buf, f);
}

void print_event_text(FILE *f, const struct pvfbt_record *r, const char *probe,
		      const struct sysdesc *sys, const struct evstr *str,
		      const struct fproto *fp)
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
	} else if ((r->probe_id & 1) && fp && fp->ret.kind != FV_RAW) {
		char v[128];

		fval_format(v, sizeof(v), fp, &fp->ret, r->args[0]);
		fprintf(f, "  = %s", v);
	} else if (r->probe_id & 1) {
		fprintf(f, "  = 0x%" PRIx64 " (%" PRId64 ")", (uint64_t)r->args[0],
			(int64_t)r->args[0]);
	} else if (sys && (r->flags & PVFBT_REC_SYSCALL)) {
		fputs("  ", f);
		sys_print_entry(f, sys, r, str);
	} else if (fp) {
		print_args_typed(f, r, fp);
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
		      const struct sysdesc *sys, const struct evstr *str,
		      const struct fproto *fp)
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
		} else if (fp && fp->ret.kind != FV_RAW) {
			fputs(",\"ret\":", f);
			json_value(f, fp, &fp->ret, r->args[0]);
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
		} else if (fp) {
			fputs(",\"argv\":{", f);
			for (i = 0; i < fp->nr_args; i++) {
				if (i)
					putc(',', f);
				json_string(f, fp->args[i].name,
					    strlen(fp->args[i].name));
				putc(':', f);
				json_value(f, fp, &fp->args[i], r->args[i]);
			}
			putc('}', f);
			if (fp->more)
				fputs(",\"argv_more\":true", f);
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
