// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: the functions of a module file (pvfbt -l --ko). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kofile.h"

void ko_name_from_path(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	size_t n, i;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 3 && strcmp(b + n - 3, ".ko") == 0)
		n -= 3;
	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++)
		out[i] = b[i] == '-' ? '_' : b[i];
	out[n] = '\0';
}

static void modinfo_name(Elf_Data *data, char *out, size_t len)
{
	const char *p = data->d_buf, *end = p + data->d_size;

	while (p && p < end) {
		size_t n = strnlen(p, end - p);

		if (n > 5 && strncmp(p, "name=", 5) == 0) {
			snprintf(out, len, "%.*s", (int)(n - 5), p + 5);
			return;
		}
		p += n + 1;
	}
}

static int skip_symbol(const char *name)
{
	/* Padding/CFI preambles, not functions of their own. */
	return !name[0] || strncmp(name, "__pfx_", 6) == 0 ||
	       strncmp(name, "__cfi_", 6) == 0;
}

int ko_read(const char *path, struct ko_file *ko, char *err, size_t errlen)
{
	Elf *elf = NULL;
	Elf_Scn *scn = NULL, *symscn = NULL;
	GElf_Shdr sh, symsh = { 0 };
	size_t shstrndx, cap = 0, nsyms, i;
	Elf_Data *syms;
	int fd, ret = -1;

	memset(ko, 0, sizeof(*ko));
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		snprintf(err, errlen, "%s: not an ELF file", path);
		goto out;
	}
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		snprintf(err, errlen, "%s: %s", path, elf_errmsg(-1));
		goto out;
	}
	ko_name_from_path(path, ko->modname, sizeof(ko->modname));
	while ((scn = elf_nextscn(elf, scn))) {
		const char *sname;

		if (!gelf_getshdr(scn, &sh))
			continue;
		sname = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_SYMTAB) {
			symscn = scn;
			symsh = sh;
		} else if (sname && strcmp(sname, ".modinfo") == 0 &&
			   sh.sh_type == SHT_PROGBITS) {
			Elf_Data *d = elf_getdata(scn, NULL);

			if (d && d->d_buf)
				modinfo_name(d, ko->modname, sizeof(ko->modname));
		}
	}
	if (!symscn) {
		snprintf(err, errlen, "%s: no .symtab (stripped?)", path);
		goto out;
	}
	syms = elf_getdata(symscn, NULL);
	if (!syms || !symsh.sh_entsize) {
		snprintf(err, errlen, "%s: cannot read .symtab", path);
		goto out;
	}
	nsyms = symsh.sh_size / symsh.sh_entsize;
	for (i = 0; i < nsyms; i++) {
		GElf_Sym sym;
		GElf_Shdr tsh;
		Elf_Scn *tscn;
		const char *name, *sname;

		if (!gelf_getsym(syms, i, &sym) ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
			continue;
		tscn = elf_getscn(elf, sym.st_shndx);
		if (!tscn || !gelf_getshdr(tscn, &tsh) ||
		    !(tsh.sh_flags & SHF_EXECINSTR))
			continue;
		name = elf_strptr(elf, symsh.sh_link, sym.st_name);
		if (!name || skip_symbol(name))
			continue;
		sname = elf_strptr(elf, shstrndx, tsh.sh_name);
		if (ko->nr == cap) {
			struct ko_func *nf;

			cap = cap ? cap * 2 : 256;
			nf = realloc(ko->funcs, cap * sizeof(*nf));
			if (!nf) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			ko->funcs = nf;
		}
		ko->funcs[ko->nr].name = strdup(name);
		ko->funcs[ko->nr].section = strdup(sname ? sname : "?");
		if (!ko->funcs[ko->nr].name || !ko->funcs[ko->nr].section) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		ko->nr++;
	}
	ret = 0;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	if (ret)
		ko_free(ko);
	return ret;
}

void ko_free(struct ko_file *ko)
{
	size_t i;

	for (i = 0; i < ko->nr; i++) {
		free(ko->funcs[i].name);
		free(ko->funcs[i].section);
	}
	free(ko->funcs);
	ko->funcs = NULL;
	ko->nr = 0;
}
