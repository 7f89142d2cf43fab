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

/*
 * Walking kallsyms.  Since 6.2 the callback gets no struct module *, and
 * module_kallsyms_on_each_symbol() takes a module name first (NULL: every
 * module).  pvfbt's callbacks keep the 6.1 form, pvfbt_sym_cb; since 6.2 a
 * thunk finds the module of each address with __module_address() (the walk
 * holds module_mutex, as __module_address() requires).
 */
typedef int (*pvfbt_sym_cb)(void *data, const char *name, struct module *mod,
			    unsigned long addr);
typedef struct module *(*pvfbt_module_address_fn)(unsigned long addr);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
typedef int (*pvfbt_kallsyms_cb)(void *data, const char *name, unsigned long addr);
typedef int (*pvfbt_kallsyms_iter)(pvfbt_kallsyms_cb fn, void *data);
typedef int (*pvfbt_mod_kallsyms_iter)(const char *modname, pvfbt_kallsyms_cb fn,
				       void *data);

struct pvfbt_sym_walk {
	pvfbt_sym_cb fn;
	void *data;
	pvfbt_module_address_fn module_address;
};

static inline int pvfbt_sym_thunk(void *p, const char *name, unsigned long addr)
{
	struct pvfbt_sym_walk *w = p;

	return w->fn(w->data, name,
		     w->module_address ? w->module_address(addr) : NULL, addr);
}

static inline int pvfbt_kallsyms_walk(pvfbt_kallsyms_iter iter, pvfbt_sym_cb fn,
				      void *data)
{
	struct pvfbt_sym_walk w = { .fn = fn, .data = data };

	return iter(pvfbt_sym_thunk, &w);
}

static inline int pvfbt_module_kallsyms_walk(pvfbt_mod_kallsyms_iter iter,
					     pvfbt_module_address_fn module_address,
					     struct module *only,
					     pvfbt_sym_cb fn, void *data)
{
	struct pvfbt_sym_walk w = {
		.fn = fn, .data = data, .module_address = module_address,
	};

	return iter(only ? only->name : NULL, pvfbt_sym_thunk, &w);
}
#else
typedef int (*pvfbt_kallsyms_iter)(pvfbt_sym_cb fn, void *data);
typedef int (*pvfbt_mod_kallsyms_iter)(pvfbt_sym_cb fn, void *data);

static inline int pvfbt_kallsyms_walk(pvfbt_kallsyms_iter iter, pvfbt_sym_cb fn,
				      void *data)
{
	return iter(fn, data);
}

static inline int pvfbt_module_kallsyms_walk(pvfbt_mod_kallsyms_iter iter,
					     pvfbt_module_address_fn module_address,
					     struct module *only,
					     pvfbt_sym_cb fn, void *data)
{
	return iter(fn, data);
}
#endif

/*
 * The registers ftrace saved for a callback (argument registers, ip, sp,
 * bp): struct ftrace_regs wraps a pt_regs on both lines, opaque since 6.9
 * behind arch_ftrace_regs().
 */
struct ftrace_regs;
#define PVFBT_FENTRY_SIZE	5	/* MCOUNT_INSN_SIZE */
#define pvfbt_fregs_to_regs(fregs, out) do {					\
	*(out) = PVFBT_FREGS_PT(fregs);						\
	(out)->flags = X86_EFLAGS_FIXED;					\
} while (0)
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define PVFBT_FREGS_PT(fregs)	(arch_ftrace_regs(fregs)->regs)
#else
#define PVFBT_FREGS_PT(fregs)	((fregs)->regs)
#endif

#endif /* _PVFBT_COMPAT_H */
