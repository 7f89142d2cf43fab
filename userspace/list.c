// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: pvfbt -l, of the running kernel or of a module file (--ko). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvfbt.h"
#include "btf.h"
#include "consumer.h"
#include "device.h"
#include "kofile.h"
#include "output.h"
#include "select.h"
#include "spec.h"

static void list_header(void)
{
	printf("%6s %8s %20s %40s %s\n", "ID", "PROVIDER", "MODULE",
	       "FUNCTION", opt.verbose ? "NAME    STATE" : "NAME");
}

static int any_spec_match(const struct spec *specs, size_t *hits,
			  const char *mod, const char *fn, int side)
{
	size_t s;
	int hit = 0;

	if (!opt.nspecs)
		return 1;
	for (s = 0; s < opt.nspecs; s++)
		if (spec_match(&specs[s], mod, fn, side)) {
			hits[s]++;
			hit = 1;
		}
	return hit;
}

static int report_unmatched(const size_t *hits)
{
	size_t s;
	int ret = 0;

	for (s = 0; s < opt.nspecs; s++)
		if (!hits[s]) {
			warnx_("no probes match '%s'", opt.specs[s]);
			ret = 1;
		}
	return ret;
}

/* -l -v: "  ssize_t vfs_read(struct file *file, ...)" from BTF, if known. */
static void print_decl(struct kbtf *btf, const struct pvfbt_func *f)
{
	const struct fproto *p = btf_proto(btf, f);
	char decl[1024];

	if (p && !btf_proto_decl(btf, p, decl, sizeof(decl)))
		printf("  %s", decl);
}

/*
 * How a usable probe's hits reach pvfbt, armed now or if armed now (ABI 8;
 * an older module: int3): an entry by ftrace's call, by a jump where its
 * first instructions can move, or by int3; a return by a jump where its
 * 5-byte site allows, by int3 elsewhere.
 */
static const char *mechanism(const struct pvfbt_func *f, int side)
{
	unsigned m = side ? f->flags & (PVFBT_FUNC_RET_JUMPS | PVFBT_FUNC_RET_TRAPS) : 0;

	if (!side)
		return f->flags & PVFBT_FUNC_ENTRY_CALL ? "via call" :
		       f->flags & PVFBT_FUNC_ENTRY_JUMP ? "via jump" : "via int3";
	if (m == (PVFBT_FUNC_RET_JUMPS | PVFBT_FUNC_RET_TRAPS))
		return "via jump+int3";
	return m == PVFBT_FUNC_RET_JUMPS ? "via jump" : "via int3";
}

int cmd_list(struct spec *specs)
{
	struct catalogue cat;
	struct selection sel;
	uint32_t i;
	size_t sp;
	int fd = dev_open(), ret = 0;
	struct pvfbt_status st;
	struct kbtf *btf = NULL;

	dev_status(fd, &st, 1);
	dev_catalogue(fd, &cat);
	close(fd);
	if (opt.verbose)
		btf = open_btf(&cat);
	if (select_probes(&cat, specs, opt.nspecs, &sel))
		die(1, "out of memory");
	list_header();
	for (i = 0; i < cat.nr; i++) {
		const struct pvfbt_func *f = &cat.funcs[i];
		char mod[PVFBT_MODNAME_LEN + 1], fn[PVFBT_NAME_LEN + 1];
		int side;

		snprintf(mod, sizeof(mod), "%.*s", (int)sizeof(f->module), f->module);
		snprintf(fn, sizeof(fn), "%.*s", (int)sizeof(f->name), f->name);
		for (side = 0; side < 2; side++) {
			unsigned reason = probe_reason(f, side);
			int armed = f->flags & (side ? PVFBT_FUNC_RETURN_ARMED :
						PVFBT_FUNC_ENTRY_ARMED);

			if (reason && !opt.verbose)
				continue;
			if (opt.nspecs && !sel.matched[2 * (size_t)i + side])
				continue;
			printf(opt.verbose ? "%6u %8s %20s %40s %-6s" :
			       "%6u %8s %20s %40s %s", 2 * f->fid + side, "fbt",
			       mod, fn, side ? "return" : "entry");
			if (opt.verbose) {
				if (reason)
					printf("  excluded: %s", reason_str(reason));
				else
					printf("  %s  %s", armed ? "armed" : "ok",
					       mechanism(f, side));
				print_decl(btf, f);
			}
			putchar('\n');
		}
	}
	/* A spec matches nothing if none of the probes it matches is listed. */
	for (sp = 0; sp < opt.nspecs; sp++)
		if (!sel.usable[sp] && !(opt.verbose && sel.excluded[sp])) {
			warnx_("no probes match '%s'", opt.specs[sp]);
			ret = 1;
		}
	selection_free(&sel);
	kbtf_close(btf);
	cat_free(&cat);
	return ret;
}

static unsigned ko_section_reason(const char *sec)
{
	if (!strncmp(sec, ".init.text", 10))
		return PVFBT_EXCL_INIT;
	if (!strncmp(sec, ".noinstr.text", 13))
		return PVFBT_EXCL_NOINSTR;
	if (!strncmp(sec, ".entry.text", 11))
		return PVFBT_EXCL_ENTRY_TEXT;
	return 0;
}

int cmd_list_ko(struct spec *specs)
{
	struct ko_file ko;
	char err[512];
	size_t *hits = calloc(opt.nspecs + 1, sizeof(size_t)), i;
	int ret;

	if (ko_read(opt.ko, &ko, err, sizeof(err)))
		die(1, "%s", err);
	list_header();
	for (i = 0; i < ko.nr; i++) {
		unsigned reason = ko_section_reason(ko.funcs[i].section);
		int side;

		if (reason && !opt.verbose)
			continue;
		for (side = 0; side < 2; side++) {
			if (!any_spec_match(specs, hits, ko.modname,
					    ko.funcs[i].name, side))
				continue;
			printf(opt.verbose ? "%6s %8s %20s %40s %-6s" :
			       "%6s %8s %20s %40s %s", "-", "fbt", ko.modname,
			       ko.funcs[i].name, side ? "return" : "entry");
			if (opt.verbose) {
				if (reason)
					printf("  excluded: %s (%s)",
					       reason_str(reason),
					       ko.funcs[i].section);
				else
					printf("  %s", ko.funcs[i].section);
			}
			putchar('\n');
		}
	}
	ret = report_unmatched(hits);
	free(hits);
	ko_free(&ko);
	return ret;
}
