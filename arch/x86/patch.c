// SPDX-License-Identifier: GPL-2.0
/*
 * Writing kernel text: the int3 of a site, the bytes of a slot.
 *
 * Everything goes through the kernel's own text_poke() under text_mutex:
 * it writes through a temporary mapping, so it is correct where kernel text
 * is read-only and, under Xen PV, where the page tables are Xen's (the
 * temporary mapping is made with the paravirt MMU operations).  There is no
 * CR0.WP toggling and no write through an alias of our own.
 *
 * A one-byte int3 written over the first byte of an instruction is the one
 * cross-modifying write that is safe while other CPUs execute the site (the
 * first step of text_poke_bp() and of kprobes).  A batch of writes ends with
 * one synchronisation of every CPU (an IPI that runs sync_core()), not one
 * per site.
 */
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <asm/sync_core.h>
#include "driver/pvfbt.h"

static void do_sync_core(void *info)
{
	sync_core();
}

void pvfbt_poke_begin(void)
{
	mutex_lock(pvfbt_ks.text_mutex);
}

void pvfbt_poke_int3(struct pvfbt_site *site, bool arm)
{
	u8 byte = arm ? 0xcc : site->orig;

	pvfbt_ks.text_poke((void *)site->addr, &byte, 1);
}

void pvfbt_poke_bytes(void *addr, const void *bytes, size_t len)
{
	pvfbt_ks.text_poke(addr, bytes, len);
}

void pvfbt_poke_end(void)
{
	mutex_unlock(pvfbt_ks.text_mutex);
	on_each_cpu(do_sync_core, NULL, 1);
}

/*
 * Read live text as it would be without pvfbt: the original byte of every
 * site of ours that is armed replaces its int3.
 */
int pvfbt_read_text(unsigned long addr, u8 *buf, unsigned int len)
{
	unsigned int i;

	if (copy_from_kernel_nofault(buf, (void *)addr, len))
		return -EFAULT;
	for (i = 0; i < len; i++) {
		struct pvfbt_site *s;

		if (buf[i] != 0xcc)
			continue;
		s = pvfbt_site_lookup(addr + i);
		if (s && s->armed)
			buf[i] = s->orig;
	}
	return 0;
}
