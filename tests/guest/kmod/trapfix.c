// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt_test: fixtures for pvfbt's trap paths, never product code.
 *
 * /sys/kernel/debug/pvfbt_test/dbctx: write "N": a hardware write
 * breakpoint on a fixture variable, whose perf overflow handler (run in
 * #DB context, on the #DB IST stack natively) calls pvfbt_test_dbcall();
 * the variable is then written N times.  Read: "dbctx N HITS ok", or
 * WRONG when a call returned a wrong value or HITS is not N.
 *
 * /sys/kernel/debug/pvfbt_test/tfstep: write "N": run pvfbt_test_tftarget()
 * N times with TF set by the fixture itself (pvfbt_test_tfrun), interrupts
 * off; a die notifier below pvfbt's takes each single-step trap of the run
 * and notes where it came.  Read: "tfstep N STEPS SEQ RESULT", SEQ the trap
 * addresses of the last run (r+OFF in tfrun, t+OFF in tftarget, x
 * elsewhere), RESULT ok, WRONG (a wrong value) or INCONSISTENT (runs
 * trapped differently).
 *
 * /sys/kernel/debug/pvfbt_test/tfguard: write "N AREA": find the slot of
 * pvfbt_test_tfguardsite's entry in pvfbt's slot area at AREA (hex) and
 * call its second guard byte N times with TF set: to pvfbt, a single-step
 * trap that never came.  Read: "tfguard N SLOTS ok" (SLOTS found: 1).
 */
#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/uaccess.h>
#include <linux/kdebug.h>
#include <linux/notifier.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <asm/debugreg.h>

long pvfbt_test_dbcall(long x);
long pvfbt_test_tftarget(long x);
long pvfbt_test_tfguardsite(long x);
long pvfbt_test_tfrun(long x);
void pvfbt_test_tfcall(long x, void *addr);
int pvfbt_trapfix_init(struct dentry *dir);
void pvfbt_trapfix_exit(void);

static DEFINE_MUTEX(tflock);
static char dbres[64], tfres[512], guardres[64];

/* ---- dbctx ---- */

static long watched __aligned(8);
static atomic_t db_hits, db_wrong;

static void db_overflow(struct perf_event *bp, struct perf_sample_data *data,
			struct pt_regs *regs)
{
	long x = READ_ONCE(watched);

	if (pvfbt_test_dbcall(x) != x + 1)
		atomic_inc(&db_wrong);
	atomic_inc(&db_hits);
}

static int dbctx(long n)
{
	struct perf_event_attr attr;
	struct perf_event * __percpu *bp;
	long i;

	hw_breakpoint_init(&attr);
	attr.bp_addr = (unsigned long)&watched;
	attr.bp_len = HW_BREAKPOINT_LEN_8;
	attr.bp_type = HW_BREAKPOINT_W;
	bp = register_wide_hw_breakpoint(&attr, db_overflow, NULL);
	if (IS_ERR((void __force *)bp))
		return PTR_ERR((void __force *)bp);
	atomic_set(&db_hits, 0);
	atomic_set(&db_wrong, 0);
	for (i = 0; i < n; i++) {
		WRITE_ONCE(watched, i);
		if (!(i & 255))
			cond_resched();
	}
	unregister_wide_hw_breakpoint(bp);
	snprintf(dbres, sizeof(dbres), "dbctx %ld %d %s\n", n, atomic_read(&db_hits),
		 atomic_read(&db_hits) == n && !atomic_read(&db_wrong) ? "ok" : "WRONG");
	return 0;
}

/* ---- tfstep, tfguard ---- */

#define MAX_STEPS 32
static int tf_cpu = -1;
static int nsteps;
static unsigned long steps[MAX_STEPS];

/* Take the single-step traps of a run (pvfbt's notifier comes first). */
static int tf_notify(struct notifier_block *nb, unsigned long val, void *data)
{
	struct die_args *args = data;
	unsigned long *dr6 = (unsigned long *)args->err;

	if (val != DIE_DEBUG || READ_ONCE(tf_cpu) != smp_processor_id() ||
	    !(*dr6 & DR_STEP))
		return NOTIFY_DONE;
	if (nsteps < MAX_STEPS)
		steps[nsteps] = args->regs->ip;
	nsteps++;
	*dr6 &= ~DR_STEP;
	return NOTIFY_STOP;
}

static struct notifier_block tf_nb = { .notifier_call = tf_notify, .priority = 0 };

static int seq_text(char *buf, size_t size)
{
	unsigned long r = (unsigned long)pvfbt_test_tfrun;
	unsigned long t = (unsigned long)pvfbt_test_tftarget;
	int i, n = 0;

	for (i = 0; i < nsteps && i < MAX_STEPS; i++) {
		unsigned long ip = steps[i];

		if (ip - r < 64)
			n += scnprintf(buf + n, size - n, "%sr+%lu", i ? "," : "", ip - r);
		else if (ip - t < 64)
			n += scnprintf(buf + n, size - n, "%st+%lu", i ? "," : "", ip - t);
		else
			n += scnprintf(buf + n, size - n, "%sx", i ? "," : "");
	}
	return n;
}

static void tf_begin(unsigned long *flags)
{
	local_irq_save(*flags);
	nsteps = 0;
	WRITE_ONCE(tf_cpu, smp_processor_id());
}

static void tf_end(unsigned long *flags)
{
	WRITE_ONCE(tf_cpu, -1);
	local_irq_restore(*flags);
}

static void tfstep(long n)
{
	char first[256], cur[256];
	bool right = true, same = true;
	unsigned long flags;
	int steps0 = 0;
	long i;

	first[0] = 0;
	for (i = 0; i < n; i++) {
		long r;

		tf_begin(&flags);
		r = pvfbt_test_tfrun(i);
		tf_end(&flags);
		right &= r == i + 1;
		seq_text(i ? cur : first, sizeof(first));
		if (!i)
			steps0 = nsteps;
		else
			same &= nsteps == steps0 && !strcmp(first, cur);
		if (!(i & 255))
			cond_resched();
	}
	snprintf(tfres, sizeof(tfres), "tfstep %ld %d %s %s\n", n, steps0, first,
		 !right ? "WRONG" : !same ? "INCONSISTENT" : "ok");
}

static int tfguard(long n, unsigned long area)
{
	static const u8 entry[] = { 0x48, 0x8d, 0x87, 0xa5, 0x5a, 0x00, 0x00 };
	unsigned long slot = 0, flags, i;
	int found = 0;
	u8 b[16];

	for (i = 0; i < 65536; i++) {
		if (copy_from_kernel_nofault(b, (void *)(area + 16 * i), 16))
			return -EFAULT;
		if (!memcmp(b, entry, sizeof(entry)) && b[7] == 0xcc && b[8] == 0xcc) {
			slot = area + 16 * i;
			found++;
		}
	}
	if (found != 1)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		tf_begin(&flags);
		/* The second guard: the step trap that precedes it is no step of pvfbt's. */
		pvfbt_test_tfcall(i, (void *)(slot + sizeof(entry) + 1));
		tf_end(&flags);
	}
	snprintf(guardres, sizeof(guardres), "tfguard %ld %d ok\n", n, found);
	return 0;
}

/* ---- debugfs ---- */

static ssize_t tf_write(struct file *f, const char __user *ubuf, size_t n, loff_t *pos)
{
	char *which = f->f_inode->i_private, buf[64];
	unsigned long area = 0;
	long count;
	int err = 0;

	if (n >= sizeof(buf) || copy_from_user(buf, ubuf, n))
		return -EINVAL;
	buf[n] = 0;
	if (sscanf(buf, "%ld %lx", &count, &area) < 1 || count < 0 || count > 10000000)
		return -EINVAL;
	mutex_lock(&tflock);
	if (!strcmp(which, "dbctx"))
		err = dbctx(count);
	else if (!strcmp(which, "tfstep"))
		tfstep(count);
	else
		err = area ? tfguard(count, area) : -EINVAL;
	mutex_unlock(&tflock);
	return err ? err : n;
}

static ssize_t tf_read(struct file *f, char __user *ubuf, size_t n, loff_t *pos)
{
	char *which = f->f_inode->i_private;
	char *s = !strcmp(which, "dbctx") ? dbres : !strcmp(which, "tfstep") ? tfres : guardres;
	ssize_t ret;

	mutex_lock(&tflock);
	ret = simple_read_from_buffer(ubuf, n, pos, s, strlen(s));
	mutex_unlock(&tflock);
	return ret;
}

static const struct file_operations tf_fops = {
	.write = tf_write, .read = tf_read, .llseek = default_llseek,
};

int pvfbt_trapfix_init(struct dentry *dir)
{
	debugfs_create_file("dbctx", 0600, dir, "dbctx", &tf_fops);
	debugfs_create_file("tfstep", 0600, dir, "tfstep", &tf_fops);
	debugfs_create_file("tfguard", 0600, dir, "tfguard", &tf_fops);
	return register_die_notifier(&tf_nb);
}

void pvfbt_trapfix_exit(void)
{
	unregister_die_notifier(&tf_nb);
}
