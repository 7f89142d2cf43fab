// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt: function boundary tracing for x86-64 Linux, natively and in Xen PV
 * guests.  The module core: /dev/pvfbt, its ioctls, the tracing session.
 *
 * /dev/pvfbt is root only (mode 0600, and CAP_SYS_ADMIN at open).  Any
 * number of openers may ask for status, the probe list and statistics.  One
 * of them at a time owns the tracing session: the first to enable probes,
 * set a filter or consume; it may then map the session's rings.  When the
 * owner's file is released (exit, SIGKILL, close, and the last mapping
 * gone) every probe is disarmed before anything else, then the rings are
 * freed.
 *
 * Lock order: session_mutex -> fbt_mutex -> (text_mutex, cpu hotplug).
 * mmap (under mmap_lock) takes none of them; no user copy is made under
 * session_mutex or fbt_mutex.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/poll.h>
#include <linux/capability.h>
#include <linux/utsname.h>
#include <linux/sched.h>
#include <linux/pid.h>
#include <xen/xen.h>
#include "driver/pvfbt.h"

static DEFINE_MUTEX(session_mutex);
static struct file *owner;		/* set and cleared under session_mutex */
static struct pid *owner_tgid;		/* the owner's process, a reference */

#define MAX_IDS		(1U << 20)

static u32 pvfbt_env(void)
{
	if (xen_pv_domain())
		return PVFBT_ENV_XEN_PV;
	if (xen_domain())
		return PVFBT_ENV_XEN_HVM;
	return PVFBT_ENV_NATIVE;
}

/*
 * Become the session owner, or find that someone else is.  A session
 * starts with fresh rings (one per online CPU), zeroed statistics and no
 * filter.  Never called under mmap_lock.
 */
static int claim(struct file *file)
{
	int err = 0;

	mutex_lock(&session_mutex);
	if (!owner) {
		err = pvfbt_rings_alloc();
		if (!err) {
			pvfbt_stats_reset();
			owner_tgid = get_pid(task_tgid(current));
			/* mmap() reads owner without the mutex: rings first. */
			smp_store_release(&owner, file);
		}
	} else if (owner != file) {
		err = -EBUSY;
	}
	mutex_unlock(&session_mutex);
	return err;
}

static int pvfbt_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return nonseekable_open(inode, file);
}

static int pvfbt_release(struct inode *inode, struct file *file)
{
	mutex_lock(&session_mutex);
	if (owner == file) {
		pvfbt_fbt_disable_all();
		pvfbt_set_filter(0, "", 0);
		pvfbt_rings_free();
		WRITE_ONCE(owner, NULL);
		put_pid(owner_tgid);
		owner_tgid = NULL;
	}
	mutex_unlock(&session_mutex);
	return 0;
}

/* Copy in an ioctl argument whose first member is its size. */
static int get_arg(void *karg, size_t ksize, const void __user *uarg)
{
	u32 size;

	if (get_user(size, (const u32 __user *)uarg))
		return -EFAULT;
	if (size != ksize)
		return -EINVAL;
	if (copy_from_user(karg, uarg, ksize))
		return -EFAULT;
	return 0;
}

static long do_status(void __user *uarg)
{
	struct pvfbt_status st;
	int err = get_arg(&st, sizeof(st), uarg);

	if (err)
		return err;
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.abi_version = PVFBT_ABI_VERSION;
	st.env = pvfbt_env();
	st.nr_cpus = nr_cpu_ids;
	st.record_size = sizeof(struct pvfbt_record);
	st.ring_records = pvfbt_ring_records;
	st.ring_mmap_size = pvfbt_ring_mmap_size();
	st.nr_funcs = pvfbt_fbt_nr_funcs();
	st.nr_armed = pvfbt_fbt_nr_armed();
	st.nr_slots = pvfbt_slots_used();
	st.nr_slots_max = pvfbt_slots_max();
	mutex_lock(&session_mutex);
	st.owner_pid = owner_tgid ? pid_vnr(owner_tgid) : 0;
	mutex_unlock(&session_mutex);
	st.mem_tables = pvfbt_arch_table_bytes() + pvfbt_fbt_bytes();
	st.mem_rings = pvfbt_rings_bytes(&st.nr_rings);
	st.nr_sites = pvfbt_sites_live(&st.nr_sites_emulated, &st.nr_sites_boosted);
	st.nr_sites_jumped = pvfbt_jret_sites();
	st.nr_entries_called = pvfbt_fcall_sites();
	st.nr_sites_waiting = pvfbt_jent_waiting();
	pvfbt_text_stats(&st.text_batches, &st.text_alias_pages, &st.text_pokes);
	st.text_refused = pvfbt_text_refused();
	strscpy(st.release, utsname()->release, sizeof(st.release));
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long do_list(void __user *uarg)
{
	struct pvfbt_list req;
	int err = get_arg(&req, sizeof(req), uarg);

	if (err)
		return err;
	if (req.max > 65536 || req.pad)
		return -EINVAL;
	err = pvfbt_fbt_list(&req, u64_to_user_ptr(req.funcs));
	if (err)
		return err;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long do_enable(struct file *file, void __user *uarg, bool enable)
{
	struct pvfbt_enable req;
	u32 *ids;
	int err = get_arg(&req, sizeof(req), uarg);

	if (err)
		return err;
	if (!req.count || req.count > MAX_IDS ||
	    (req.flags & ~(PVFBT_ENABLE_STACK | PVFBT_ENABLE_SYSCALL |
			   PVFBT_ENABLE_STRINGS)) || (!enable && req.flags) ||
	    ((req.flags & PVFBT_ENABLE_STRINGS) && !(req.flags & PVFBT_ENABLE_SYSCALL)))
		return -EINVAL;
	if ((req.flags & PVFBT_ENABLE_STACK) && !pvfbt_ks.stack_trace_save_regs)
		return -EOPNOTSUPP;
	ids = vmemdup_user(u64_to_user_ptr(req.ids), (size_t)req.count * sizeof(u32));
	if (IS_ERR(ids))
		return PTR_ERR(ids);
	err = claim(file);
	if (!err)
		err = pvfbt_fbt_enable(ids, req.count, enable, req.flags, &req.done);
	kvfree(ids);
	if (err)
		return err;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long do_stats(void __user *uarg)
{
	struct pvfbt_stats req;
	struct pvfbt_cpu_stats __user *out;
	u32 cpu, n;
	int err = get_arg(&req, sizeof(req), uarg);

	if (err)
		return err;
	if (!req.nr_cpus || req.nr_cpus > 8192)
		return -EINVAL;
	out = u64_to_user_ptr(req.cpus);
	n = min_t(u32, req.nr_cpus, nr_cpu_ids);
	for (cpu = 0; cpu < n; cpu++) {
		struct pvfbt_cpu_stats s = {};

		if (cpu_possible(cpu))
			s = *per_cpu_ptr(&pvfbt_stats, cpu);
		if (copy_to_user(&out[cpu], &s, sizeof(s)))
			return -EFAULT;
	}
	req.nr_cpus = n;
	return copy_to_user(uarg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long do_consume(struct file *file, void __user *uarg)
{
	struct pvfbt_consume req;
	u64 *tails;
	int err = get_arg(&req, sizeof(req), uarg);

	if (err)
		return err;
	if (!req.nr_cpus || req.nr_cpus > nr_cpu_ids)
		return -EINVAL;
	tails = memdup_user(u64_to_user_ptr(req.tails), req.nr_cpus * sizeof(u64));
	if (IS_ERR(tails))
		return PTR_ERR(tails);
	err = claim(file);
	if (!err)
		err = pvfbt_ring_consume(tails, req.nr_cpus);
	kfree(tails);
	return err;
}

static long do_filter(struct file *file, void __user *uarg)
{
	struct pvfbt_filter req;
	int err = get_arg(&req, sizeof(req), uarg);

	if (err)
		return err;
	if (strnlen(req.comm, sizeof(req.comm)) == sizeof(req.comm))
		return -EINVAL;
	err = claim(file);
	if (!err)
		err = pvfbt_set_filter(req.pid, req.comm, req.exclude_pid);
	return err;
}

static long pvfbt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case PVFBT_IOC_STATUS:
		return do_status(uarg);
	case PVFBT_IOC_LIST:
		return do_list(uarg);
	case PVFBT_IOC_ENABLE:
		return do_enable(file, uarg, true);
	case PVFBT_IOC_DISABLE:
		return do_enable(file, uarg, false);
	case PVFBT_IOC_STATS:
		return do_stats(uarg);
	case PVFBT_IOC_CONSUME:
		return do_consume(file, uarg);
	case PVFBT_IOC_FILTER:
		return do_filter(file, uarg);
	default:
		return -ENOTTY;
	}
}

static __poll_t pvfbt_poll(struct file *file, poll_table *wait)
{
	poll_wait(file, &pvfbt_wait, wait);
	return pvfbt_ring_ready() ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * Runs under mmap_lock, so it takes no pvfbt lock (release takes fbt_mutex
 * under session_mutex, and a fault under either would close a cycle) and
 * starts no session: the caller claimed it before.  owner cannot become or
 * stop being this file while this file is being mapped.
 */
static int pvfbt_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct file *o = smp_load_acquire(&owner);

	if (o != file)
		return o ? -EBUSY : -EBADFD;
	return pvfbt_ring_mmap(file, vma);
}

static const struct file_operations pvfbt_fops = {
	.owner = THIS_MODULE,
	.open = pvfbt_open,
	.release = pvfbt_release,
	.unlocked_ioctl = pvfbt_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = pvfbt_poll,
	.mmap = pvfbt_mmap,
};

static struct miscdevice pvfbt_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = PVFBT_NAME,
	.fops = &pvfbt_fops,
	.mode = 0600,
};

static int __init pvfbt_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct pvfbt_record) != 128);
	BUILD_BUG_ON(sizeof(struct pvfbt_stack_record) != sizeof(struct pvfbt_record));
	BUILD_BUG_ON(sizeof(struct pvfbt_str_record) != sizeof(struct pvfbt_record));
	err = pvfbt_ksyms_init();
	if (err)
		return err;
	err = pvfbt_ring_init();
	if (err)
		return err;
	err = pvfbt_arch_init();
	if (err)
		goto out_ring;
	err = pvfbt_fbt_init();
	if (err)
		goto out_arch;
	err = misc_register(&pvfbt_dev);
	if (err)
		goto out_fbt;
	pr_info(PVFBT_NAME ": ABI %d, %s\n", PVFBT_ABI_VERSION,
		pvfbt_env() == PVFBT_ENV_XEN_PV ? "Xen PV guest" :
		pvfbt_env() == PVFBT_ENV_XEN_HVM ? "Xen HVM guest" : "native");
	return 0;
out_fbt:
	pvfbt_arch_stop();
	pvfbt_fbt_exit();
	goto out_tables;
out_arch:
	pvfbt_arch_stop();
out_tables:
	pvfbt_arch_exit();
out_ring:
	pvfbt_ring_exit();
	return err;
}

/*
 * rmmod with probes armed and firing: no file can be open here (the device
 * holds a module reference), so probes armed by a session are already gone;
 * still, disarm everything, wait for every handler (RCU) and for every task
 * that could sit in a slot (RCU tasks), and only then free.
 */
static void __exit pvfbt_exit(void)
{
	misc_deregister(&pvfbt_dev);
	pvfbt_fbt_disable_all();
	synchronize_rcu();
	synchronize_rcu_tasks();
	pvfbt_arch_stop();
	pvfbt_fbt_exit();
	pvfbt_arch_exit();
	pvfbt_ring_exit();
}

module_init(pvfbt_init);
module_exit(pvfbt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvfbt: function boundary tracing, native and Xen PV");
MODULE_AUTHOR("The pvfbt developers");
