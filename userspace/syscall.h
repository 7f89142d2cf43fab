/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvfbt consumer: system calls printed as strace prints them.
 *
 * The probes of a system call handler, __x64_sys_NAME(const struct pt_regs
 * *regs), are enabled with PVFBT_ENABLE_SYSCALL: their entry records carry
 * the system call's own arguments, and the strings among them follow in
 * string records.  What each argument is (its name, its type, whether it
 * is a string) comes from the kernel's own syscall metadata: the format of
 * the syscalls:sys_enter_NAME trace event in tracefs.
 */
#ifndef PVFBT_SYSCALL_H
#define PVFBT_SYSCALL_H

#include <stdint.h>
#include <stdio.h>

#include "pvfbt.h"
#include "drain.h"

enum sysarg_kind {
	SA_HEX,		/* unknown type: 0x... */
	SA_SIGNED,	/* size bytes, sign-extended */
	SA_UNSIGNED,
	SA_PTR,		/* NULL or 0x... */
	SA_STR,		/* a user string: copied by the module */
	SA_FD,		/* a descriptor: AT_FDCWD by name */
	SA_OFLAGS,	/* open(2) flags: O_RDONLY|O_CLOEXEC */
	SA_MODE,	/* a file mode: octal */
	SA_ATFLAGS,	/* AT_* flags of the *at calls */
	SA_PROT,	/* PROT_* */
	SA_MAPFLAGS,	/* MAP_* of mmap */
	SA_ADDR,	/* an address in an integer: NULL or 0x... */
	SA_XNUM,	/* a number best read in hex (ioctl's cmd) */
};

struct sysarg {
	char name[32];
	char type[48];
	uint8_t kind, size;
};

struct sysdesc {
	char name[48];			/* "openat" */
	uint8_t nargs;			/* 0..6 */
	struct sysarg args[6];
};

struct syscalls;

/*
 * The metadata, read lazily from tracefs (PVFBT_TRACEFS, else
 * /sys/kernel/tracing, else /sys/kernel/debug/tracing).  Never NULL
 * unless out of memory; without tracefs every lookup fails, and the first
 * one says so on stderr.
 */
struct syscalls *sys_open(void);
void sys_close(struct syscalls *s);
/* The system call whose handler is FUNC (a vmlinux function), or NULL. */
const struct sysdesc *sys_lookup(struct syscalls *s, const char *module,
				 const char *func);
/* PVFBT_ENABLE_SYSCALL and the string arguments of d. */
uint32_t sys_enable_flags(const struct sysdesc *d);

/* "openat(dfd=AT_FDCWD, filename="/etc/passwd", flags=O_RDONLY, mode=0)" */
void sys_print_entry(FILE *f, const struct sysdesc *d,
		     const struct pvfbt_record *r, const struct evstr *str);
/* "= 3", "= -2 ENOENT" */
void sys_print_return(FILE *f, int64_t ret);
/* JSON members, after a comma: "syscall":"openat","argv":{...} */
void sys_json_entry(FILE *f, const struct sysdesc *d,
		    const struct pvfbt_record *r, const struct evstr *str);
/* "errno":"ENOENT" for a negative errno, else nothing; 1 if written. */
int sys_json_errno(FILE *f, int64_t ret);

/* Exposed for tests: decode open(2) flags into buf. */
void sys_oflags(char *buf, size_t len, uint64_t flags);

#endif
