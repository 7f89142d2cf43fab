// SPDX-License-Identifier: GPL-2.0
/*
 * The fake device's "vmlinux" BTF (e2e.sh, typed arguments): compiled with
 * -g and turned into BTF by pahole -J, as the kernel's own build does.
 * Prototypes of the fake catalogue's functions (fakedev.c) that have BTF;
 * tc_callee, do_int3 and __x64_sys_* have none.  Bodies are never run.
 */
#include <stdbool.h>

typedef long ssize_t;
typedef unsigned long size_t;
typedef long long loff_t;

struct file { int f_mode; };
struct pair { long a, b; };
enum fake_mode { FAKE_READ = 1, FAKE_WRITE = 2, FAKE_NEG = -3 };

ssize_t vfs_read(struct file *file, char *buf, size_t count, loff_t *pos)
{
	return (long)file + (long)buf + (long)count + (long)pos;
}

int tc_caller(struct file *file, int n)
{
	return (long)file + n;
}

long typed_ints(int a, unsigned int b, short c, unsigned char d, long long e,
		char f)
{
	return a + b + c + d + e + f;
}

enum fake_mode typed_enum(enum fake_mode m, bool on, enum fake_mode m2,
			  enum fake_mode m3, const char *name, void (*cb)(int))
{
	return on ? m + m2 + m3 + name[0] + (long)cb : FAKE_READ;
}

void typed_void(void)
{
}

int typed_va(const char *fmt, ...)
{
	return fmt[0];
}

bool typed_stop(int x, struct pair p, int y)
{
	return x + p.a + y;
}

void *typed_many(long a1, long a2, long a3, long a4, long a5, long a6,
		 long a7, long a8)
{
	return (void *)(a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8);
}

double typed_float(double d, int x)
{
	return d + x;
}

/* Twice in the fake catalogue: ambiguous there. */
int typed_twice(int x)
{
	return x;
}
