/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: the catalogue and event formatting. */
#ifndef PVFBT_OUTPUT_H
#define PVFBT_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "pvfbt.h"
#include "ksym.h"

/* The function catalogue, indexed by fid. */
struct catalogue {
	struct pvfbt_func *funcs;	/* in LIST order */
	uint32_t nr;
	struct pvfbt_func **by_fid;	/* [nr_fid] */
	uint32_t nr_fid;
};

int cat_index(struct catalogue *c);	/* build by_fid from funcs[] */
void cat_free(struct catalogue *c);
const struct pvfbt_func *cat_fid(const struct catalogue *c, uint32_t fid);
/* Reason a probe cannot be used (0 = usable), GONE folded in. */
unsigned probe_reason(const struct pvfbt_func *f, int is_return);
const char *reason_str(unsigned reason);

/* "fbt:MODULE:FUNCTION:entry" (or fbt:?:#ID:entry for an unknown id). */
void probe_fullname(char *buf, size_t len, const struct catalogue *c,
		    uint32_t probe_id);

/* Write S (N bytes at most, stops at NUL) as a JSON string with quotes. */
void json_string(FILE *f, const char *s, size_t n);

/*
 * One event.  A return with PVFBT_REC_TAILCALL has no return value: text
 * "  (tail call)", JSON "tailcall":true instead of "retval".  With a stack
 * (NULL: none), the text format is followed by print_stack_text(); JSON
 * gets "stack":["vfs_read+0x5",...] and, if it is incomplete,
 * "stack_incomplete":true.
 */
struct sysdesc;
struct evstr;
/*
 * sys: the system call whose handler the probe is on (NULL: none).  Then a
 * PVFBT_REC_SYSCALL entry prints as the call, "openat(dfd=AT_FDCWD,
 * filename="/etc/passwd", ...)" (str: its strings), and a return as
 * "= 3" or "= -2 ENOENT"; JSON gets "syscall", "argv" and "errno".
 */
/*
 * fp: otherwise, the function's prototype from BTF (btf.h; NULL: none).
 * Text: an entry ends "  vfs_read(file=0xffff888008180400, buf=0x7ffd1000,
 * count=832, pos=0xffffc900404cbf10)" ("..." for parameters not shown), a
 * return "  = 832" typed by the declared return type ("= void" for a void
 * function; a return type not in rax prints raw).  JSON keeps "args" and
 * "retval" and adds "argv":{"file":"0x...","count":832,...} (pointers and
 * enumerator names are strings, integers numbers, bool true/false) with
 * "argv_more":true when parameters are not shown, and "ret" (null: void).
 */
struct fproto;
void print_event_text(FILE *f, const struct pvfbt_record *r, const char *probe,
		      const struct sysdesc *sys, const struct evstr *str,
		      const struct fproto *fp);
void print_event_json(FILE *f, const struct pvfbt_record *r, const char *probe,
		      const struct kstack *stack, const struct ksyms *ks,
		      const struct sysdesc *sys, const struct evstr *str,
		      const struct fproto *fp);
/* One line per frame, "        vfs_read+0x5", then "        [stack incomplete]"
 * if it is. */
#define STACK_INDENT		"        "
#define STACK_INCOMPLETE	"[stack incomplete]"
void print_stack_text(FILE *f, const struct kstack *stack,
		      const struct ksyms *ks);

/* comm for text: at most 16 bytes, no blanks or control bytes ("?"), "-"
 * if empty; out has room for 17. */
void text_comm(char *out, const char *comm);

#endif
