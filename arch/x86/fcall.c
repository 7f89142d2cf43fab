// SPDX-License-Identifier: GPL-2.0
/*
 * Call entries: an entry probe reached by a call, not a trap, through the
 * kernel's own ftrace callback API on the function's fentry site.
 *
 * A function the compiler instrumented starts (after endbr64) with a 5-byte
 * "call __fentry__" that the kernel keeps as a nop; ftrace turns it into a
 * call to a trampoline that saves the argument registers and calls every
 * ftrace_ops whose filter holds the function.  pvfbt's one ftrace_ops
 * (pvfbt_fops) holds the functions whose entry probe is armed this way, and
 * its callback records the entry through the same pvfbt_hit() as the other
 * mechanisms.  ftrace owns that text and shares it: the function tracer,
 * kprobes at +0 (KPROBES_ON_FTRACE), BPF trampolines (direct calls) and
 * livepatch all hang off the same site, each counting every call.  pvfbt
 * writes no byte of the function.
 *
 * Why not for every entry: ftrace patches each site with three text_poke()
 * calls (field notes: about 108,000 for every function, 1.3-2.1 s per
 * 36,000 under Xen PV).  An enable that would put more than fcall_max
 * entries in the filter arms them by int3, which pvfbt writes in one batch
 * (0.3 s for every function).  fcall_max=0 (the default, see below) or
 * force_int3=1: int3 only.
 *
 * Invariants:
 *  - The ops is registered only with a non-empty filter (an empty filter
 *    would trace every function): the filter is filled before the first
 *    registration, and the ops is unregistered before the last function
 *    leaves it.
 *  - ftrace's API takes text_mutex: it is never called inside a pvfbt
 *    batch (pvfbt_poke_begin() .. pvfbt_poke_end()), always under fbt_mutex.
 *  - The callback runs in the probed function's context, before its first
 *    instruction: it takes ftrace's recursion lock (which also disables
 *    preemption), finds the site by address (the entry site is the fentry
 *    site + 5), records only a site armed for entry by this mechanism, and
 *    hands pvfbt_record() the registers at the entry site: ftrace saved the
 *    argument registers, ip (the entry site), sp (at the return address) and
 *    bp, as an int3 there would see them.
 *  - A site's mechanism (s->fcall) changes only while its entry is disarmed.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/ftrace.h>
#include <linux/slab.h>
#include <asm/ptrace.h>
#include <asm/segment.h>
#include "driver/pvfbt.h"
#include "pvfbt_compat.h"

/*
 * Off by default for now: under QEMU's multi-threaded TCG, where pvfbt is
 * tested, ftrace's own writes of a hot fentry site can leave a CPU looping
 * on a stale translation of ftrace's transient int3 (the stress suite's
 * enable/disable loop hung a Xen PV guest so, even with fentry_rewrite()).
 * pvfbt's own writes have their workaround (patch.c); ftrace's are not
 * pvfbt's to change.  On hardware the route is sound: fcall_max=2048.
 */
static unsigned int fcall_max;
module_param(fcall_max, uint, 0644);
MODULE_PARM_DESC(fcall_max, "arm up to this many entry probes through ftrace's callback (no trap), the rest by int3; 0 (default): int3 only");

static void notrace fcall_hit(unsigned long ip, unsigned long parent_ip,
			      struct ftrace_ops *op, struct ftrace_regs *fregs);

static struct ftrace_ops pvfbt_fops = {
	.func = fcall_hit,
};

static u32 nr_filtered;		/* functions in the filter: under fbt_mutex */
static bool registered;

/* The callback, for the trap-path closure (its callees are never probed). */
unsigned long pvfbt_fcall_hit_fn(void)
{
	return (unsigned long)fcall_hit;
}

u32 pvfbt_fcall_sites(void)
{
	return READ_ONCE(nr_filtered);
}

/* May an enable that brings n more entries use the call route? */
bool pvfbt_fcall_room(u32 n)
{
	u32 max = READ_ONCE(fcall_max);

	return pvfbt_jret_enabled() && max && n <= max && nr_filtered + n <= max;
}

/*
 * The fentry sites ftrace just rewrote, written again with the bytes they
 * hold (read under text_mutex, so ftrace is done with them).  ftrace writes
 * a site by text_poke_bp(): int3, bytes 1-4, byte 0.  Under QEMU's
 * multi-threaded TCG a vCPU that translated the site during the last write
 * can keep a translation with ftrace's transient int3, which no handler
 * claims any more: kprobes' int3 handler sends the CPU back to the site
 * ("the breakpoint was removed") for ever, and the stress suite's
 * enable/disable loop hung every CPU so at a hot system call.  Writing the
 * same bytes again invalidates that translation, as pvfbt does for its own
 * sites (patch.c, is_site_text()).  On hardware it rewrites bytes with
 * themselves; pvfbt changes nothing of ftrace's text.
 */
static void fentry_rewrite(const unsigned long *ips, u32 n)
{
	u8 b[PVFBT_FENTRY_SIZE];
	u32 i;

	pvfbt_poke_begin();
	for (i = 0; i < n; i++)
		if (!copy_from_kernel_nofault(b, (void *)ips[i], sizeof(b)) && b[0] != 0xcc)
			pvfbt_poke_text(ips[i], b, sizeof(b), 0, PVFBT_PHASE_FIRST, false);
	pvfbt_poke_end();
}

/*
 * Put the fentry sites of ips[0..n) in the filter (a site's fentry call is
 * 5 bytes before its entry site).  All or nothing: an error leaves the
 * filter as it was.  Under fbt_mutex, outside a batch.
 */
int pvfbt_fcall_add(unsigned long *ips, u32 n)
{
	int err;

	if (!n)
		return 0;
	err = ftrace_set_filter_ips(&pvfbt_fops, ips, n, 0, 0);
	if (err)
		return err;
	if (!registered) {
		err = register_ftrace_function(&pvfbt_fops);
		if (err) {
			ftrace_set_filter_ips(&pvfbt_fops, ips, n, 1, 0);
			return err;
		}
		registered = true;
	}
	WRITE_ONCE(nr_filtered, nr_filtered + n);
	fentry_rewrite(ips, n);
	return 0;
}

/*
 * Take ips[0..n) out of the filter: the last ones out unregister the ops
 * first.  ftrace waits for every callback in flight before it returns.
 */
void pvfbt_fcall_del(unsigned long *ips, u32 n)
{
	if (!n)
		return;
	if (n >= nr_filtered && registered) {
		unregister_ftrace_function(&pvfbt_fops);
		registered = false;
	}
	if (ftrace_set_filter_ips(&pvfbt_fops, ips, n, 1, 0))
		pr_warn_ratelimited(PVFBT_NAME ": could not take %u functions out of pvfbt's ftrace filter\n", n);
	WRITE_ONCE(nr_filtered, n >= nr_filtered ? 0 : nr_filtered - n);
	fentry_rewrite(ips, n);
}

void pvfbt_fcall_exit(void)
{
	if (registered)
		unregister_ftrace_function(&pvfbt_fops);
	registered = false;
	ftrace_free_filter(&pvfbt_fops);
}

static void notrace fcall_hit(unsigned long ip, unsigned long parent_ip,
			      struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	const struct pvfbt_site *s;
	struct pt_regs regs;
	int bit;

	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	s = pvfbt_site_lookup(ip + PVFBT_FENTRY_SIZE);
	if (!s || !READ_ONCE(s->fcall) || !(READ_ONCE(s->armed) & PVFBT_SITE_ENTRY))
		goto out;
	if (bit < 0) {
		/* Recursion ftrace refuses: a firing dropped, still counted. */
		this_cpu_inc(pvfbt_stats.hits);
		this_cpu_inc(pvfbt_stats.drops);
		return;
	}
	pvfbt_fregs_to_regs(fregs, &regs);
	regs.ip = s->addr;
	regs.cs = __KERNEL_CS;
	regs.ss = __KERNEL_DS;
	regs.orig_ax = -1;
	pvfbt_hit(s, &regs, PVFBT_REC_ENTRY | PVFBT_HIT_CALL);
out:
	if (bit >= 0)
		ftrace_test_recursion_unlock(bit);
}
