// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt_test: a test fixture for pvfbt's in-guest tests, never product code.
 *
 * /sys/kernel/debug/pvfbt_test/run: write "NAME ARG COUNT" to call the
 * shape NAME(ARG) COUNT times; read back "NAME ARG COUNT RESULT OK" where
 * OK says every call returned what the shape must return.
 * /sys/kernel/debug/pvfbt_test/peek: write "ADDR LEN" (hex address, LEN up
 * to 4096) and read back the kernel bytes there, in hex.
 * /sys/kernel/debug/pvfbt_test/warn: any write is a WARN() splat on the
 * console, to show that tests/vm/run fails a run that has one.
 */
#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/sched.h>

long pvfbt_test_multiret(long sel);
long pvfbt_test_riprel(long x);
long pvfbt_test_call(long x);
long pvfbt_test_jcc(long x);
void pvfbt_test_justret(void);
long pvfbt_test_jcc2(long x);
long pvfbt_test_jmpent(long x);
extern long pvfbt_test_var;
long pvfbt_test_push_rbx(long x);
long pvfbt_test_push_r12(long x);
long pvfbt_test_push_r13(long x);
long pvfbt_test_push_r14(long x);
long pvfbt_test_push_r15(long x);
long pvfbt_test_push_rbp(long x);

long pvfbt_test_tail(long x);
long pvfbt_test_ctail(long x);
long pvfbt_test_hascold(long x);
long pvfbt_test_itail(long x);
long pvfbt_test_igoto(long x);
long pvfbt_test_itail2(long x);
long pvfbt_test_igoto2(long x);
long pvfbt_test_loopentry(long x);
long pvfbt_test_coldret(long x);
long pvfbt_test_coldlow(long x);
long pvfbt_test_selftail(long x);
static long expect_selftail(long x) { return 0; }
static long expect_loopentry(long x) { return x > 0 ? 0 : x - 1; }
static long expect_coldret(long x) { return x < 100 ? x + 1 : -x; }
static long expect_igoto(long x) { return x + 3; }
static long expect_tail(long x) { return 2 * x + 2; }
static long expect_ctail(long x) { return x ? 2 * x : 3; }
static long expect_hascold(long x) { return x < 100 ? x + 1 : -1; }

static long expect_multiret(long x) { return x == 1 ? 101 : x == 2 ? 102 : 100; }
static long expect_riprel(long x) { return pvfbt_test_var + x; }
static long expect_call(long x) { return 2 * x + 1; }
static long expect_jcc(long x) { return x ? 7 : 9; }
static long expect_jmpent(long x) { return x < 0 ? x + 2 : x + 1; }

static noinline long call_justret(long x)
{
	pvfbt_test_justret();
	return x;
}

static long expect_justret(long x) { return x; }

/* jz at entry: the flags come from the caller; set ZF from x first. */
static noinline long call_jcc2(long x)
{
	long r;

	asm volatile("test %1, %1\n\tcall pvfbt_test_jcc2"
		     : "=a"(r) : "D"(x) : "rcx", "rdx", "rsi", "r8", "r9",
		       "r10", "r11", "memory", "cc");
	return r;
}
static long expect_jcc2(long x) { return x ? 5 : 6; }

/* Each push shape returns the pushed register (x * 3) plus x. */
static long expect_push(long x) { return 4 * x; }

/* call_push_REG(x): REG = x * 3, then call pvfbt_test_push_REG. */
#define CALL_PUSH(reg)							\
static noinline long call_push_##reg(long x)				\
{									\
	register long v asm(#reg) = x * 3;				\
	long r;								\
									\
	asm volatile("call pvfbt_test_push_" #reg			\
		     : "=a"(r), "+r"(v) : "D"(x) : "rcx", "rdx", "rsi", "r8", \
		       "r9", "r10", "r11", "memory", "cc");		\
	return r;							\
}
CALL_PUSH(rbx)
CALL_PUSH(r12)
CALL_PUSH(r13)
CALL_PUSH(r14)
CALL_PUSH(r15)

/* %rbp cannot be an operand: save it, load x * 3 into it, call, restore. */
static noinline long call_push_rbp(long x)
{
	long r;

	asm volatile("push %%rbp\n\tlea (%%rdi,%%rdi,2), %%rbp\n\t"
		     "call pvfbt_test_push_rbp\n\tpop %%rbp"
		     : "=a"(r) : "D"(x) : "rcx", "rdx", "rsi", "r8", "r9", "r10",
		       "r11", "memory", "cc");
	return r;
}

static const struct shape {
	const char *name;
	long (*fn)(long);
	long (*expect)(long);
} shapes[] = {
	{ "multiret", pvfbt_test_multiret, expect_multiret },
	{ "riprel", pvfbt_test_riprel, expect_riprel },
	{ "call", pvfbt_test_call, expect_call },
	{ "jcc", pvfbt_test_jcc, expect_jcc },
	{ "justret", call_justret, expect_justret },
	{ "jcc2", call_jcc2, expect_jcc2 },
	{ "jmpent", pvfbt_test_jmpent, expect_jmpent },
	{ "push_rbx", call_push_rbx, expect_push },
	{ "push_r12", call_push_r12, expect_push },
	{ "push_r13", call_push_r13, expect_push },
	{ "push_r14", call_push_r14, expect_push },
	{ "push_r15", call_push_r15, expect_push },
	{ "push_rbp", call_push_rbp, expect_push },
	{ "tail", pvfbt_test_tail, expect_tail },
	{ "ctail", pvfbt_test_ctail, expect_ctail },
	{ "hascold", pvfbt_test_hascold, expect_hascold },
	{ "itail", pvfbt_test_itail, expect_tail },
	{ "igoto", pvfbt_test_igoto, expect_igoto },
	{ "itail2", pvfbt_test_itail2, expect_tail },
	{ "igoto2", pvfbt_test_igoto2, expect_igoto },
	{ "loopentry", pvfbt_test_loopentry, expect_loopentry },
	{ "coldret", pvfbt_test_coldret, expect_coldret },
	{ "coldlow", pvfbt_test_coldlow, expect_coldret },
	{ "selftail", pvfbt_test_selftail, expect_selftail },
};

static DEFINE_MUTEX(lock);

/* ---- instruction forms: the full register state, unprobed, stepped, boosted ---- */

extern u64 pvfbt_test_out[18], pvfbt_test_mem[8];
#define FORMS(X) X(load) X(load32) X(subrsp) X(movrr) X(test) X(xor) X(riprel) \
	X(movimm) X(cmp) X(lea) X(movzx) X(and) X(store) X(add) X(shl) X(sete) \
	X(cmov) X(imul) X(inc) X(neg) X(movsxd) X(cltq) X(xchg) X(sbb) X(mul)
#define DECL(n) void pvfbt_test_r_##n(const u64 *in, u64 *out);
FORMS(DECL)
#define ENTRY(n) { #n, pvfbt_test_r_##n },
static const struct form {
	const char *name;
	void (*run)(const u64 *in, u64 *out);
} forms[] = { FORMS(ENTRY) };

static const char *const regname[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10",
	"r11", "r12", "r13", "r14", "r15",
};
#define ARITH_FLAGS	0x8d5UL	/* CF PF AF ZF SF OF */
static char formres[1024];

static void form_input(long x, u64 *in)
{
	int i;

	for (i = 0; i < 15; i++)
		in[i] = ((u64)x + 1) * 0x9e3779b97f4a7c15ULL ^ ((u64)i << 56 | i * 0x01010101ULL);
	in[4] = x;				/* rsi: compared, added, stored */
	in[5] = (unsigned long)pvfbt_test_mem;	/* rdi: the loads' base */
	in[15] = 0x202 | ((u64)x & ARITH_FLAGS);	/* IF, bit 1, arithmetic flags */
	for (i = 0; i < 8; i++)
		pvfbt_test_mem[i] = 0x1111111111111111ULL * (i + 1) + x;
}

/* The state after the form, as text: registers, flags, stack move, memory. */
static int form_state(char *buf, size_t size, const char *name, long x)
{
	int i, n = scnprintf(buf, size, "%s %ld", name, x);

	for (i = 0; i < 15; i++)
		n += scnprintf(buf + n, size - n, " %s=%llx", regname[i], pvfbt_test_out[i]);
	/* sub $N, %rsp: its flags depend on where this process's stack is. */
	if (strcmp(name, "subrsp"))
		n += scnprintf(buf + n, size - n, " flags=%llx", pvfbt_test_out[15] & ARITH_FLAGS);
	n += scnprintf(buf + n, size - n, " rsp%+lld", (long long)pvfbt_test_out[16]);
	/* The stack top is ours only when the form did not move rsp. */
	if ((long long)pvfbt_test_out[16] == -8)
		n += scnprintf(buf + n, size - n, " top=%llx", pvfbt_test_out[17]);
	n += scnprintf(buf + n, size - n, " mem=");
	for (i = 0; i < 8; i++)
		n += scnprintf(buf + n, size - n, "%llx%s", pvfbt_test_mem[i], i < 7 ? "," : "\n");
	return n;
}

static ssize_t form_write(struct file *f, const char __user *ubuf, size_t n, loff_t *pos)
{
	char buf[64], name[16], *first, *cur;
	long x, count, i;
	u64 in[16], out[18];
	bool same = true;
	int s;

	if (n >= sizeof(buf) || copy_from_user(buf, ubuf, n))
		return -EINVAL;
	buf[n] = 0;
	if (sscanf(buf, "%15s %ld %ld", name, &x, &count) != 3 || count < 1)
		return -EINVAL;
	for (s = 0; s < ARRAY_SIZE(forms); s++)
		if (!strcmp(forms[s].name, name))
			break;
	if (s == ARRAY_SIZE(forms))
		return -ENOENT;
	first = kmalloc(2 * sizeof(formres), GFP_KERNEL);
	if (!first)
		return -ENOMEM;
	cur = first + sizeof(formres);
	mutex_lock(&lock);
	for (i = 0; i < count; i++) {
		form_input(x, in);
		forms[s].run(in, out);
		form_state(i ? cur : first, sizeof(formres), name, x);
		same &= !i || !strcmp(first, cur);
		if (!(i & 1023))
			cond_resched();
	}
	strscpy(formres, first, sizeof(formres));
	if (!same)
		strlcat(formres, "INCONSISTENT\n", sizeof(formres));
	mutex_unlock(&lock);
	kfree(first);
	return n;
}


static char result[128];
static char peekbuf[2 * 4096 + 2];

static ssize_t run_write(struct file *f, const char __user *ubuf, size_t n, loff_t *pos)
{
	char buf[64], name[16];
	long arg, count, i, r = 0;
	bool ok = true;
	int s;

	if (n >= sizeof(buf) || copy_from_user(buf, ubuf, n))
		return -EINVAL;
	buf[n] = 0;
	if (sscanf(buf, "%15s %ld %ld", name, &arg, &count) != 3 || count < 0)
		return -EINVAL;
	for (s = 0; s < ARRAY_SIZE(shapes); s++)
		if (!strcmp(shapes[s].name, name))
			break;
	if (s == ARRAY_SIZE(shapes))
		return -ENOENT;
	for (i = 0; i < count; i++) {
		r = shapes[s].fn(arg);
		ok &= r == shapes[s].expect(arg);
		if (!(i & 1023))
			cond_resched();
	}
	mutex_lock(&lock);
	snprintf(result, sizeof(result), "%s %ld %ld %ld %s\n", name, arg, count, r,
		 ok ? "ok" : "WRONG");
	mutex_unlock(&lock);
	return n;
}

static ssize_t str_read(char *str, char __user *ubuf, size_t n, loff_t *pos)
{
	ssize_t ret;

	mutex_lock(&lock);
	ret = simple_read_from_buffer(ubuf, n, pos, str, strlen(str));
	mutex_unlock(&lock);
	return ret;
}

static ssize_t run_read(struct file *f, char __user *ubuf, size_t n, loff_t *pos)
{
	return str_read(result, ubuf, n, pos);
}

static ssize_t form_read(struct file *f, char __user *ubuf, size_t n, loff_t *pos)
{
	return str_read(formres, ubuf, n, pos);
}

static ssize_t peek_write(struct file *f, const char __user *ubuf, size_t n, loff_t *pos)
{
	char buf[64];
	unsigned long addr, len, i;
	u8 *bytes;

	if (n >= sizeof(buf) || copy_from_user(buf, ubuf, n))
		return -EINVAL;
	buf[n] = 0;
	if (sscanf(buf, "%lx %lu", &addr, &len) != 2 || !len || len > 4096)
		return -EINVAL;
	bytes = kmalloc(len, GFP_KERNEL);
	if (!bytes)
		return -ENOMEM;
	if (copy_from_kernel_nofault(bytes, (void *)addr, len)) {
		kfree(bytes);
		return -EFAULT;
	}
	mutex_lock(&lock);
	for (i = 0; i < len; i++)
		sprintf(peekbuf + 2 * i, "%02x", bytes[i]);
	strcpy(peekbuf + 2 * len, "\n");
	mutex_unlock(&lock);
	kfree(bytes);
	return n;
}

static ssize_t peek_read(struct file *f, char __user *ubuf, size_t n, loff_t *pos)
{
	return str_read(peekbuf, ubuf, n, pos);
}

static ssize_t warn_write(struct file *f, const char __user *ubuf, size_t n, loff_t *pos)
{
	WARN(1, "pvfbt_test: a WARN() on request\n");
	return n;
}

static const struct file_operations warn_fops = {
	.write = warn_write, .llseek = default_llseek,
};
static const struct file_operations run_fops = {
	.write = run_write, .read = run_read, .llseek = default_llseek,
};
static const struct file_operations form_fops = {
	.write = form_write, .read = form_read, .llseek = default_llseek,
};
static const struct file_operations peek_fops = {
	.write = peek_write, .read = peek_read, .llseek = default_llseek,
};

static struct dentry *dir;
int pvfbt_trapfix_init(struct dentry *dir);	/* trapfix.c */
void pvfbt_trapfix_exit(void);

static int __init testmod_init(void)
{
	dir = debugfs_create_dir("pvfbt_test", NULL);
	debugfs_create_file("run", 0600, dir, NULL, &run_fops);
	debugfs_create_file("peek", 0600, dir, NULL, &peek_fops);
	debugfs_create_file("form", 0600, dir, NULL, &form_fops);
	debugfs_create_file("warn", 0200, dir, NULL, &warn_fops);
	if (pvfbt_trapfix_init(dir)) {
		debugfs_remove_recursive(dir);
		return -EINVAL;
	}
	return 0;
}

static void __exit testmod_exit(void)
{
	pvfbt_trapfix_exit();
	debugfs_remove_recursive(dir);
}

module_init(testmod_init);
module_exit(testmod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvfbt test fixture");
