// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt_slowinit.ko: a module whose init waits, so that a test can list and
 * arm probes while the module is still COMING, and again once it is live.
 * Its init ends when the test writes 1 to
 * /sys/module/pvfbt_slowinit/parameters/release (a module's parameters
 * exist while its init runs), or after sleep_ms (default 4000) at most.
 *
 * /sys/kernel/debug/pvfbt_slowinit/run: write N to call slowinit_work() N
 * times (each call also calls slowinit_more() once); read back the sum.
 */
#include <linux/module.h>
#include <linux/delay.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/uaccess.h>

static unsigned int sleep_ms = 4000;
module_param(sleep_ms, uint, 0444);
static bool release;
module_param(release, bool, 0644);

static struct dentry *dir;
static long sum;

long slowinit_more(long x);
long slowinit_work(long x);

noinline long slowinit_more(long x)
{
	asm volatile("" : "+r" (x));
	return x + 1;
}

noinline long slowinit_work(long x)
{
	asm volatile("" : "+r" (x));
	return slowinit_more(x) * 2;
}

static ssize_t run_write(struct file *file, const char __user *buf, size_t len,
			 loff_t *ppos)
{
	unsigned long n, i;
	int err = kstrtoul_from_user(buf, len, 10, &n);

	if (err)
		return err;
	sum = 0;
	for (i = 0; i < n; i++)
		sum += slowinit_work(i);
	return len;
}

static ssize_t run_read(struct file *file, char __user *buf, size_t len, loff_t *ppos)
{
	char out[32];
	int n = scnprintf(out, sizeof(out), "%ld\n", sum);

	return simple_read_from_buffer(buf, len, ppos, out, n);
}

static const struct file_operations run_fops = {
	.owner = THIS_MODULE,
	.write = run_write,
	.read = run_read,
};

static int __init slowinit_init(void)
{
	unsigned int t;

	for (t = 0; t < sleep_ms && !READ_ONCE(release); t += 20)
		msleep(20);
	dir = debugfs_create_dir("pvfbt_slowinit", NULL);
	debugfs_create_file("run", 0600, dir, NULL, &run_fops);
	return 0;
}

static void __exit slowinit_exit(void)
{
	debugfs_remove_recursive(dir);
}

module_init(slowinit_init);
module_exit(slowinit_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvfbt test fixture: a module whose init sleeps");
