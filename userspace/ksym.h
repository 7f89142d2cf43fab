/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: kernel symbols (/proc/kallsyms) and kernel stacks. */
#ifndef PVFBT_KSYM_H
#define PVFBT_KSYM_H

#include <stddef.h>
#include <stdint.h>

#define KALLSYMS_PATH	"/proc/kallsyms"

/* A kernel stack of one event, innermost first (pcs[0] is the probe site). */
struct kstack {
	const uint64_t *pcs;
	uint32_t nr;
	int incomplete;	/* the event says STACKED, but its stack records are
			 * missing or malformed: pcs[] is what could be read */
};

struct ksym {
	uint64_t addr;
	uint32_t name;		/* offset of the name in strs */
	uint32_t mod;		/* offset of the module name in strs; 0: vmlinux */
};

/* Text symbols sorted by address, one per address. */
struct ksyms {
	struct ksym *syms;
	size_t nr;
	char *strs;		/* strs[0] = '\0' */
	size_t strs_len;
};

/*
 * Load the text symbols (types t, T, w, W) of a kallsyms file.  Returns 0
 * when symbols with addresses were found, 1 when the file is readable but
 * shows no addresses (not root, kernel.kptr_restrict), -1 with errno set if
 * it cannot be read.  On 1 and -1, k is empty and ksym_format() writes hex.
 */
int ksyms_load(struct ksyms *k, const char *path);
void ksyms_free(struct ksyms *k);
/* The symbol at or below ADDR, NULL if none. */
const struct ksym *ksyms_lookup(const struct ksyms *k, uint64_t addr);
/* "vfs_read+0x5", "ext4_file_read_iter+0x1a [ext4]", or "0xffffffff81234567"
 * (no symbol at or below, or 1 MiB or more past it). */
void ksym_format(char *buf, size_t len, const struct ksyms *k, uint64_t addr);
/* The function only, "vfs_read", for folded stacks (hex as ksym_format). */
void ksym_func(char *buf, size_t len, const struct ksyms *k, uint64_t addr);

#endif
