/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernel lines pvfbt supports, one place each.
 * Nothing else in pvfbt tests LINUX_VERSION_CODE.
 */
#ifndef _PVFBT_COMPAT_H
#define _PVFBT_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/module.h>

/* vm_flags became read-only behind helpers in 6.3. */
static inline void pvfbt_vm_flags_clear(struct vm_area_struct *vma, unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/* Module text: core_layout until 6.3, mem[MOD_TEXT] since 6.4. */
static inline void pvfbt_module_text(const struct module *mod,
				     unsigned long *start, unsigned long *end)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
	*start = (unsigned long)mod->mem[MOD_TEXT].base;
	*end = *start + mod->mem[MOD_TEXT].size;
#else
	*start = (unsigned long)mod->core_layout.base;
	*end = *start + mod->core_layout.text_size;
#endif
}

#endif /* _PVFBT_COMPAT_H */
