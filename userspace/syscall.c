// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt consumer: system calls printed as strace prints them (syscall.h).
 *
 * The kernel describes every system call's arguments, by name and C type,
 * in the format of its syscalls:sys_enter_NAME trace event (SYSCALL_DEFINEn
 * generates it): "field:const char * filename; offset:24; size:8;
 * signed:0;".  That is the table: nothing here lists system calls.  What
 * is decided here is how a type prints:
 *   - "char *" and "const char *" are NUL-terminated user strings (paths,
 *     names, mount's types), unless the next argument is a length, by its
 *     name (len, size, count, bufsiz): then it is a buffer (read's and
 *     write's buf, getcwd's, readlink's, mq_timedsend's message);
 *   - an integer argument whose name ends in "fd" is a descriptor, an
 *     int whatever its declared type (mmap's is unsigned long): -1, and
 *     AT_FDCWD by name;
 *   - "flags" of open, openat and open_by_handle_at are open(2) flags;
 *     "flag"/"flags" of the other *at calls, statx and execveat are AT_*
 *     flags; mmap's, mprotect's "prot" PROT_*, mmap's "flags" MAP_*;
 *   - a umode_t is a mode, in octal;
 *   - an unsigned long called addr, start, brk or arg is an address, and
 *     a "cmd" is printed in hex;
 *   - other integer types by their size and sign, pointers in hex.
 * The flag names come from the C library's headers (<fcntl.h>,
 * <sys/mman.h>): only which names to try is listed here.
 * Every argument is passed as a full register: an int's upper 32 bits are
 * not part of it (the kernel's SYSCALL_DEFINE wrappers truncate too).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "syscall.h"
#include "output.h"

#define HASH_BITS	10
#define HANDLER		"__x64_sys_"

struct sysent {
	struct sysent *next;
	int known;			/* 0: no metadata for this handler */
	struct sysdesc d;
	char func[PVFBT_NAME_LEN + 1];
};

struct syscalls {
	const char *root;		/* tracefs with events/syscalls, or NULL */
	int looked, warned;
	struct sysent *tab[1 << HASH_BITS];
};

static const char *const roots[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

struct syscalls *sys_open(void)
{
	return calloc(1, sizeof(struct syscalls));
}

void sys_close(struct syscalls *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < (1u << HASH_BITS); i++) {
		while (s->tab[i]) {
			struct sysent *e = s->tab[i];

			s->tab[i] = e->next;
			free(e);
		}
	}
	free(s);
}

static int has_syscalls(const char *root)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/events/syscalls", root);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static const char *find_root(struct syscalls *s)
{
	const char *env = getenv("PVFBT_TRACEFS");
	size_t i;

	if (s->looked)
		return s->root;
	s->looked = 1;
	if (env && *env) {
		s->root = has_syscalls(env) ? env : NULL;
	} else {
		for (i = 0; i < sizeof(roots) / sizeof(roots[0]) && !s->root; i++)
			if (has_syscalls(roots[i]))
				s->root = roots[i];
	}
	if (!s->root && !s->warned) {
		s->warned = 1;
		fprintf(stderr, "pvfbt: no system call formats in tracefs "
			"(mount -t tracefs nodev /sys/kernel/tracing): "
			"system call arguments printed raw\n");
	}
	return s->root;
}

static unsigned hash(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h & ((1u << HASH_BITS) - 1);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Size and sign of an integer type the formats use, 0 if not one. */
static int int_type(const char *t, int *is_signed)
{
	static const struct { const char *name; int size, sign; } types[] = {
		{ "int", 4, 1 }, { "unsigned int", 4, 0 }, { "unsigned", 4, 0 },
		{ "long", 8, 1 }, { "unsigned long", 8, 0 },
		{ "short", 2, 1 }, { "unsigned short", 2, 0 },
		{ "char", 1, 1 }, { "unsigned char", 1, 0 },
		{ "u32", 4, 0 }, { "u64", 8, 0 }, { "__u32", 4, 0 },
		{ "__u64", 8, 0 }, { "s32", 4, 1 }, { "__s32", 4, 1 },
		{ "size_t", 8, 0 }, { "ssize_t", 8, 1 }, { "loff_t", 8, 1 },
		{ "off_t", 8, 1 }, { "pid_t", 4, 1 }, { "uid_t", 4, 0 },
		{ "gid_t", 4, 0 }, { "old_uid_t", 4, 0 }, { "old_gid_t", 4, 0 },
		{ "qid_t", 4, 0 }, { "key_serial_t", 4, 1 },
		{ "clockid_t", 4, 1 }, { "timer_t", 4, 1 }, { "mqd_t", 4, 1 },
		{ "rwf_t", 4, 1 }, { "umode_t", 2, 0 }, { "aio_context_t", 8, 0 },
		{ "time_t", 8, 1 }, { "__kernel_old_time_t", 8, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strcmp(t, types[i].name)) {
			*is_signed = types[i].sign;
			return types[i].size;
		}
	}
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* An argument that gives the length of the one before it. */
static int is_length(const char *name)
{
	return strstr(name, "len") || strstr(name, "size") ||
	       strstr(name, "count") || strstr(name, "bufsiz");
}

static void classify(struct sysdesc *d)
{
	int open_family = !strcmp(d->name, "open") || !strcmp(d->name, "openat") ||
			  !strcmp(d->name, "open_by_handle_at");
	int at_family = !open_family && strcmp(d->name, "renameat2") &&
			(ends_with(d->name, "at") || ends_with(d->name, "at2") ||
			 !strcmp(d->name, "statx") || !strcmp(d->name, "execveat"));
	int mm = !strcmp(d->name, "mmap") || !strcmp(d->name, "mprotect") ||
		 !strcmp(d->name, "pkey_mprotect");
	unsigned i;

	for (i = 0; i < d->nargs; i++) {
		struct sysarg *a = &d->args[i];
		int sign = 0, size = int_type(a->type, &sign);

		if ((!strcmp(a->type, "const char *") || !strcmp(a->type, "char *")) &&
		    !(i + 1 < d->nargs && is_length(d->args[i + 1].name))) {
			a->kind = SA_STR;
		} else if (strchr(a->type, '*')) {
			a->kind = SA_PTR;
		} else if (!strcmp(a->type, "umode_t")) {
			a->kind = SA_MODE;
		} else if (open_family && !strcmp(a->name, "flags")) {
			a->kind = SA_OFLAGS;
		} else if (at_family && (!strcmp(a->name, "flag") || !strcmp(a->name, "flags"))) {
			a->kind = SA_ATFLAGS;
		} else if (mm && !strcmp(a->name, "prot")) {
			a->kind = SA_PROT;
		} else if (!strcmp(d->name, "mmap") && !strcmp(a->name, "flags")) {
			a->kind = SA_MAPFLAGS;
		} else if (size && ends_with(a->name, "fd")) {
			a->kind = SA_FD;
			a->size = 4;
		} else if (size == 8 && !sign &&
			   (!strcmp(a->name, "addr") || !strcmp(a->name, "start") ||
			    !strcmp(a->name, "brk") || !strcmp(a->name, "arg"))) {
			a->kind = SA_ADDR;
		} else if (size && !strcmp(a->name, "cmd")) {
			a->kind = SA_XNUM;
			a->size = (uint8_t)size;
		} else if (size) {
			a->kind = sign ? SA_SIGNED : SA_UNSIGNED;
			a->size = (uint8_t)size;
		} else {
			a->kind = SA_HEX;
		}
	}
}

/*
 * Read events/syscalls/sys_enter_NAME/format: the fields after
 * __syscall_nr are the arguments, in order.  0 if it is usable.
 */
static int read_format(const char *root, struct sysdesc *d)
{
	char path[512], line[512];
	int after_nr = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_%s/format",
		 root, d->name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	d->nargs = 0;
	while (fgets(line, sizeof(line), f)) {
		char *field = strstr(line, "field:"), *semi, *decl, *name;

		if (!field)
			continue;
		decl = field + 6;
		semi = strchr(decl, ';');
		if (!semi)
			continue;
		*semi = '\0';
		decl = trim(decl);
		name = strrchr(decl, ' ');
		if (!name)
			continue;
		*name++ = '\0';
		if (!after_nr) {
			after_nr = !strcmp(name, "__syscall_nr");
			continue;
		}
		if (d->nargs == 6)
			break;
		snprintf(d->args[d->nargs].name, sizeof(d->args[0].name), "%s", name);
		snprintf(d->args[d->nargs].type, sizeof(d->args[0].type), "%s",
			 trim(decl));
		d->nargs++;
	}
	fclose(f);
	if (!after_nr)
		return -1;
	classify(d);
	return 0;
}

const struct sysdesc *sys_lookup(struct syscalls *s, const char *module,
				 const char *func)
{
	const char *root;
	struct sysent *e;
	unsigned h;

	if (!s || strcmp(module, "vmlinux") || strncmp(func, HANDLER, strlen(HANDLER)) ||
	    !func[strlen(HANDLER)] || strlen(func) > PVFBT_NAME_LEN)
		return NULL;
	h = hash(func);
	for (e = s->tab[h]; e; e = e->next)
		if (!strcmp(e->func, func))
			return e->known ? &e->d : NULL;
	root = find_root(s);
	if (!root)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	strcpy(e->func, func);
	snprintf(e->d.name, sizeof(e->d.name), "%s", func + strlen(HANDLER));
	e->known = !read_format(root, &e->d);
	e->next = s->tab[h];
	s->tab[h] = e;
	return e->known ? &e->d : NULL;
}

uint32_t sys_enable_flags(const struct sysdesc *d)
{
	uint32_t fl = PVFBT_ENABLE_SYSCALL;
	unsigned i;

	for (i = 0; i < d->nargs; i++)
		if (d->args[i].kind == SA_STR)
			fl |= PVFBT_ENABLE_STRING(i);
	return fl;
}

/* O_LARGEFILE is 0 in glibc's x86-64 headers; the kernel's value. */
#define K_O_LARGEFILE	0100000

void sys_oflags(char *buf, size_t len, uint64_t flags)
{
	static const struct { uint64_t bit; const char *name; } bits[] = {
		{ O_CREAT, "O_CREAT" }, { O_EXCL, "O_EXCL" },
		{ O_NOCTTY, "O_NOCTTY" }, { O_TRUNC, "O_TRUNC" },
		{ O_APPEND, "O_APPEND" }, { O_NONBLOCK, "O_NONBLOCK" },
		{ O_SYNC, "O_SYNC" }, { O_DSYNC, "O_DSYNC" },
		{ O_ASYNC, "O_ASYNC" }, { O_DIRECT, "O_DIRECT" },
		{ K_O_LARGEFILE, "O_LARGEFILE" }, { O_TMPFILE, "O_TMPFILE" },
		{ O_DIRECTORY, "O_DIRECTORY" }, { O_NOFOLLOW, "O_NOFOLLOW" },
		{ O_NOATIME, "O_NOATIME" }, { O_CLOEXEC, "O_CLOEXEC" },
		{ O_PATH, "O_PATH" },
	};
	static const char *const acc[] = {
		"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"
	};
	uint32_t v = (uint32_t)flags, left;
	size_t i, n;

	n = (size_t)snprintf(buf, len, "%s", acc[v & O_ACCMODE]);
	left = v & ~(uint32_t)O_ACCMODE;
	/* Multi-bit names first match whole: O_SYNC holds O_DSYNC,
	 * O_TMPFILE holds O_DIRECTORY. */
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		uint32_t b = (uint32_t)bits[i].bit;

		if (b && (left & b) == b) {
			left &= ~b;
			if (n < len)
				n += (size_t)snprintf(buf + n, len - n, "|%s", bits[i].name);
		}
	}
	if (left && n < len)
		snprintf(buf + n, len - n, "|%#" PRIx32, left);
}

struct flagname {
	uint64_t bit;
	const char *name;
};

/* NAME|NAME|0x..., or ZERO for 0. */
static void put_flags(char *buf, size_t len, uint64_t v,
		      const struct flagname *t, size_t n, const char *zero)
{
	size_t i, k = 0;

	buf[0] = '\0';
	if (!v) {
		snprintf(buf, len, "%s", zero);
		return;
	}
	for (i = 0; i < n; i++) {
		if (t[i].bit && (v & t[i].bit) == t[i].bit) {
			v &= ~t[i].bit;
			if (k < len)
				k += (size_t)snprintf(buf + k, len - k, "%s%s",
						      k ? "|" : "", t[i].name);
		}
	}
	if (v && k < len)
		snprintf(buf + k, len - k, "%s%#" PRIx64, k ? "|" : "", v);
}

#define FLAG(x)	{ x, #x }
static void at_flags(char *buf, size_t len, uint64_t v, int unlinkat)
{
	static const struct flagname t[] = {
		FLAG(AT_SYMLINK_NOFOLLOW), FLAG(AT_SYMLINK_FOLLOW),
		FLAG(AT_NO_AUTOMOUNT), FLAG(AT_EMPTY_PATH),
		FLAG(AT_STATX_FORCE_SYNC), FLAG(AT_STATX_DONT_SYNC),
		FLAG(AT_RECURSIVE),
	};
	/* 0x200 is AT_REMOVEDIR for unlinkat, AT_EACCESS for faccessat. */
	struct flagname extra = unlinkat ? (struct flagname)FLAG(AT_REMOVEDIR) :
					   (struct flagname)FLAG(AT_EACCESS);
	char rest[200];

	if (v & extra.bit) {
		put_flags(rest, sizeof(rest), v & ~extra.bit, t,
			  sizeof(t) / sizeof(t[0]), "");
		snprintf(buf, len, "%s%s%s", extra.name, rest[0] ? "|" : "", rest);
		return;
	}
	put_flags(buf, len, v, t, sizeof(t) / sizeof(t[0]), "0");
}

static void prot_flags(char *buf, size_t len, uint64_t v)
{
	static const struct flagname t[] = {
		FLAG(PROT_READ), FLAG(PROT_WRITE), FLAG(PROT_EXEC),
		FLAG(PROT_GROWSDOWN), FLAG(PROT_GROWSUP),
	};

	put_flags(buf, len, v, t, sizeof(t) / sizeof(t[0]), "PROT_NONE");
}

static void map_flags(char *buf, size_t len, uint64_t v)
{
	static const struct flagname t[] = {
		FLAG(MAP_SHARED_VALIDATE), FLAG(MAP_SHARED), FLAG(MAP_PRIVATE),
		FLAG(MAP_FIXED), FLAG(MAP_ANONYMOUS), FLAG(MAP_32BIT),
		FLAG(MAP_GROWSDOWN), FLAG(MAP_DENYWRITE), FLAG(MAP_EXECUTABLE),
		FLAG(MAP_LOCKED), FLAG(MAP_NORESERVE), FLAG(MAP_POPULATE),
		FLAG(MAP_NONBLOCK), FLAG(MAP_STACK), FLAG(MAP_HUGETLB),
		FLAG(MAP_SYNC), FLAG(MAP_FIXED_NOREPLACE),
	};

	put_flags(buf, len, v, t, sizeof(t) / sizeof(t[0]), "0");
}

/* Text of a flags-like argument into buf; 0 if a is not one. */
static int flag_text(char *buf, size_t len, const struct sysdesc *d,
		     const struct sysarg *a, uint64_t v)
{
	switch (a->kind) {
	case SA_OFLAGS:
		sys_oflags(buf, len, v);
		return 1;
	case SA_ATFLAGS:
		at_flags(buf, len, (uint32_t)v, !strcmp(d->name, "unlinkat"));
		return 1;
	case SA_PROT:
		prot_flags(buf, len, (uint32_t)v);
		return 1;
	case SA_MAPFLAGS:
		map_flags(buf, len, (uint32_t)v);
		return 1;
	}
	return 0;
}

static int64_t sext(uint64_t v, unsigned size)
{
	unsigned shift = 64 - 8 * size;

	return size >= 8 ? (int64_t)v : (int64_t)(v << shift) >> shift;
}

static uint64_t zext(uint64_t v, unsigned size)
{
	return size >= 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

/* The quoted, escaped string; with ... if cut. */
static void put_str(FILE *f, const char *s, int32_t len, int cut)
{
	int32_t i;

	putc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			putc(c, f);
	}
	putc('"', f);
	if (cut)
		fputs("...", f);
}

static void put_errno_name(FILE *f, int e)
{
	const char *n = strerrorname_np(e);

	if (n)
		fputs(n, f);
	else
		fprintf(f, "errno %d", e);
}

/*
 * The text of an argument that is not a string, into buf: the one place
 * that decides how each kind prints, for text and JSON.  Returns 1 if it is
 * a number (bare in JSON), 0 if text (quoted in JSON).  json: a null
 * pointer is 0x0 there, NULL in text.
 */
static int arg_text(char *buf, size_t len, const struct sysdesc *d,
		    const struct sysarg *a, uint64_t v, int json)
{
	if (flag_text(buf, len, d, a, v))
		return 0;
	switch (a->kind) {
	case SA_PTR:
	case SA_ADDR:
		if (v || json)
			snprintf(buf, len, "0x%" PRIx64, v);
		else
			snprintf(buf, len, "NULL");
		return 0;
	case SA_FD:
		if (sext(v, 4) == AT_FDCWD) {
			snprintf(buf, len, "AT_FDCWD");
			return 0;
		}
		snprintf(buf, len, "%" PRId64, sext(v, 4));
		return 1;
	case SA_XNUM:
		snprintf(buf, len, "%#" PRIx64, zext(v, a->size));
		return 0;
	case SA_MODE:
		snprintf(buf, len, "%#" PRIo64, zext(v, 4) & 07777);
		return 0;
	case SA_SIGNED:
		snprintf(buf, len, "%" PRId64, sext(v, a->size));
		return 1;
	case SA_UNSIGNED:
		snprintf(buf, len, "%" PRIu64, zext(v, a->size));
		return 1;
	default:
		snprintf(buf, len, "0x%" PRIx64, v);
		return 0;
	}
}

static void put_arg(FILE *f, const struct sysdesc *d, const struct sysarg *a,
		    uint64_t v, const struct evstr *str, unsigned i)
{
	char buf[256];

	switch (a->kind) {
	case SA_STR:
		if (!v) {
			fputs("NULL", f);
		} else if (!str || !(str->mask & (1u << i))) {
			fprintf(f, "0x%" PRIx64, v);
		} else if (str->len[i] < 0) {
			fprintf(f, "0x%" PRIx64 " (unreadable: ", v);
			put_errno_name(f, -str->len[i]);
			putc(')', f);
		} else {
			put_str(f, str->s[i], str->len[i], (str->trunc >> i) & 1);
		}
		break;
	default:
		arg_text(buf, sizeof(buf), d, a, v, 0);
		fputs(buf, f);
		break;
	}
}

void sys_print_entry(FILE *f, const struct sysdesc *d,
		     const struct pvfbt_record *r, const struct evstr *str)
{
	unsigned i;

	fprintf(f, "%s(", d->name);
	for (i = 0; i < d->nargs; i++) {
		fprintf(f, "%s%s=", i ? ", " : "", d->args[i].name);
		put_arg(f, d, &d->args[i], r->args[i], str, i);
	}
	putc(')', f);
	if (str && str->incomplete)
		fputs(" [strings incomplete]", f);
}

void sys_print_return(FILE *f, int64_t ret)
{
	fprintf(f, "= %" PRId64, ret);
	if (ret < 0 && ret >= -4095) {
		putc(' ', f);
		put_errno_name(f, (int)-ret);
	}
}

int sys_json_errno(FILE *f, int64_t ret)
{
	const char *n;

	if (ret >= 0 || ret < -4095)
		return 0;
	n = strerrorname_np((int)-ret);
	if (n)
		fprintf(f, "\"errno\":\"%s\"", n);
	else
		fprintf(f, "\"errno\":%d", (int)-ret);
	return 1;
}

void sys_json_entry(FILE *f, const struct sysdesc *d,
		    const struct pvfbt_record *r, const struct evstr *str)
{
	char buf[256];
	unsigned i;

	fputs("\"syscall\":", f);
	json_string(f, d->name, sizeof(d->name));
	fputs(",\"argv\":{", f);
	for (i = 0; i < d->nargs; i++) {
		const struct sysarg *a = &d->args[i];
		uint64_t v = r->args[i];

		if (i)
			putc(',', f);
		json_string(f, a->name, sizeof(a->name));
		putc(':', f);
		switch (a->kind) {
		case SA_STR:
			if (v && str && (str->mask & (1u << i)) && str->len[i] >= 0)
				json_string(f, str->s[i], (size_t)str->len[i]);
			else if (v)
				fprintf(f, "\"0x%" PRIx64 "\"", v);
			else
				fputs("null", f);
			break;
		default:
			if (arg_text(buf, sizeof(buf), d, a, v, 1))
				fputs(buf, f);
			else
				json_string(f, buf, sizeof(buf));
			break;
		}
	}
	putc('}', f);
	if (str) {
		int first = 1;

		for (i = 0; i < 6; i++) {
			if (!(str->mask & (1u << i)))
				continue;
			if (str->len[i] < 0 || ((str->trunc >> i) & 1)) {
				fputs(first ? ",\"argv_notes\":{" : ",", f);
				first = 0;
				json_string(f, d->args[i].name, sizeof(d->args[i].name));
				if (str->len[i] < 0) {
					const char *n = strerrorname_np(-str->len[i]);

					fprintf(f, ":\"unreadable: %s\"", n ? n : "?");
				} else {
					fputs(":\"truncated\"", f);
				}
			}
		}
		if (!first)
			putc('}', f);
	}
}
