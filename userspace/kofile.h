/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: the functions of a module file (pvfbt -l --ko). */
#ifndef PVFBT_KOFILE_H
#define PVFBT_KOFILE_H

#include <stddef.h>

struct ko_func {
	char *name;
	char *section;
};

struct ko_file {
	char modname[64];
	struct ko_func *funcs;
	size_t nr;
};

/* Returns 0, or -1 with a message in err. */
int ko_read(const char *path, struct ko_file *ko, char *err, size_t errlen);
void ko_free(struct ko_file *ko);
/* Module name from a path when .modinfo has none: basename, no .ko,
 * '-' -> '_' (as KBUILD_MODNAME). */
void ko_name_from_path(const char *path, char *out, size_t len);

#endif
