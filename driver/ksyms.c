// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel symbols that pvfbt needs and the kernel does not export.
 *
 * kallsyms_lookup_name() itself is not exported since 5.7.  A kprobe that is
 * registered by symbol name and never armed tells its address: the kernel
 * resolves the name for us, with its own checks.  Every other symbol is then
 * resolved through it, and each one is checked before it is ever called: the
 * address must be the start of a function of that very name (sprint_symbol
 * prints "name+0x0/size").
 */
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/kallsyms.h>
#include <linux/hash.h>
#include <linux/rculist.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "driver/pvfbt.h"

/* Read on the hit path: a system call's strings, --stack. */
struct pvfbt_ksyms pvfbt_ks __pvfbt_hit_data;

/* Is addr exactly the start of the function called name? */
static bool is_function(unsigned long addr, const char *name)
{
	char buf[KSYM_SYMBOL_LEN];
	size_t n = strlen(name);

	if (!addr)
		return false;
	sprint_symbol(buf, addr);
	return !strncmp(buf, name, n) && !strncmp(buf + n, "+0x0/", 5);
}

/* kernel/kprobes.c: KPROBE_HASH_BITS, the same on both kernel lines */
#define PVFBT_KPROBE_HASH_BITS	6

/*
 * kprobes' table and the mutex that guards it, for pvfbt_text_lock()
 * (patch.c): under kprobe_mutex every kprobe that is or will be in the text
 * is in the table.  Both are static in kernel/kprobes.c.  The table is used
 * only if it proves to be what that file declares, 64 buckets hashed by
 * address, by holding the probe kp just registered in kp's own bucket, and
 * the mutex only with it; else pvfbt looks each address up (get_kprobe()).
 */
static void find_kprobe_table(const struct kprobe *kp)
{
	struct hlist_head *t = (void *)pvfbt_ks.lookup_name("kprobe_table");
	struct mutex *m = (void *)pvfbt_ks.lookup_name("kprobe_mutex");
	unsigned long so = pvfbt_ks.lookup_name("kallsyms_lookup_size_offset");
	int (*size_offset)(unsigned long addr, unsigned long *size, unsigned long *off) = (void *)so;
	unsigned long size = 0, off = 1;
	struct kprobe *p;
	bool found = false;

	if (!t || !m || !is_function(so, "kallsyms_lookup_size_offset") ||
	    !size_offset((unsigned long)t, &size, &off) || off ||
	    size < sizeof(*t) << PVFBT_KPROBE_HASH_BITS ||
	    !size_offset((unsigned long)m, &size, &off) || off ||
	    size < sizeof(*m))
		return;
	rcu_read_lock();
	hlist_for_each_entry_rcu(p, &t[hash_ptr(kp->addr, PVFBT_KPROBE_HASH_BITS)], hlist)
		found |= p->addr == kp->addr;
	rcu_read_unlock();
	if (!found)
		return;
	pvfbt_ks.kprobe_table = t;
	pvfbt_ks.kprobe_table_size = 1 << PVFBT_KPROBE_HASH_BITS;
	pvfbt_ks.kprobe_mutex = m;
}

/*
 * kprobes put the probe after a function's endbr64, or after the nop4 that
 * seals an endbr64 nothing branches to: step back over either.
 */
static unsigned long find_lookup_name(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;
	u8 head[4];

	if (register_kprobe(&kp) < 0)
		return 0;
	addr = (unsigned long)kp.addr;
	if (addr && !is_function(addr, kp.symbol_name) &&
	    is_function(addr - 4, kp.symbol_name) &&
	    !copy_from_kernel_nofault(head, (void *)(addr - 4), 4) &&
	    pvfbt_is_endbr(head))
		addr -= 4;
	if (is_function(addr, "kallsyms_lookup_name")) {
		pvfbt_ks.lookup_name = (void *)addr;
		find_kprobe_table(&kp);
	}
	unregister_kprobe(&kp);
	return addr;
}

static unsigned long want(const char *name, bool func, int *missing)
{
	unsigned long addr = pvfbt_ks.lookup_name(name);

	if (!addr || (func && !is_function(addr, name))) {
		pr_err(PVFBT_NAME ": kernel symbol %s not found\n", name);
		(*missing)++;
		return 0;
	}
	return addr;
}

/* Optional symbols: absent on some configurations. */
static unsigned long maybe(const char *name)
{
	unsigned long addr = pvfbt_ks.lookup_name(name);

	return addr && is_function(addr, name) ? addr : 0;
}

/*
 * The return thunks: with retbleed/SRSO/ITS mitigations a function returns
 * by "jmp <thunk>", and which thunk depends on the CPU and the kernel line
 * (x86_return_thunk points to the one in use).  Each is a return, not a
 * tail call.
 */
static void find_return_thunks(void)
{
	static const char *const names[] = {
		"__x86_return_thunk", "srso_return_thunk", "srso_alias_return_thunk",
		"retbleed_return_thunk", "its_return_thunk", "call_depth_return_thunk",
	};
	unsigned long *ptr = (unsigned long *)pvfbt_ks.lookup_name("x86_return_thunk");
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		unsigned long a = maybe(names[i]);

		if (a)
			pvfbt_ks.return_thunks[n++] = a;
	}
	if (ptr && n < PVFBT_MAX_RETHUNKS) {
		unsigned long a = 0;

		if (!copy_from_kernel_nofault(&a, ptr, sizeof(a)) && a &&
		    !pvfbt_is_return_thunk(a))
			pvfbt_ks.return_thunks[n++] = a;
	}
}

/*
 * The retpoline thunks __x86_indirect_thunk_{rax,...,r15}: a "jmp" to the
 * one of a register is "jmp *%reg".  Used only if laid out as the kernel
 * lays them out (an array in encoding order, RETPOLINE_THUNK_SIZE apart).
 */
static void find_indirect_thunks(void)
{
	unsigned long rax = pvfbt_ks.lookup_name("__x86_indirect_thunk_rax");

	if (rax &&
	    pvfbt_ks.lookup_name("__x86_indirect_thunk_rcx") == rax + PVFBT_THUNK_SIZE &&
	    pvfbt_ks.lookup_name("__x86_indirect_thunk_r15") == rax + 15 * PVFBT_THUNK_SIZE)
		pvfbt_ks.indirect_thunks = rax;
}

/* The register whose retpoline thunk starts at addr, or -1. */
int pvfbt_thunk_reg(unsigned long addr)
{
	unsigned long t = addr - pvfbt_ks.indirect_thunks;

	if (!pvfbt_ks.indirect_thunks || t >= 16 * PVFBT_THUNK_SIZE || t % PVFBT_THUNK_SIZE)
		return -1;
	return t / PVFBT_THUNK_SIZE;
}

bool pvfbt_is_return_thunk(unsigned long addr)
{
	unsigned int i;

	for (i = 0; i < PVFBT_MAX_RETHUNKS && pvfbt_ks.return_thunks[i]; i++)
		if (pvfbt_ks.return_thunks[i] == addr)
			return true;
	return false;
}

#define FN(field, name)	(pvfbt_ks.field = (void *)want(name, true, &missing))
#define VAR(field, name) (pvfbt_ks.field = want(name, false, &missing))

int pvfbt_ksyms_init(void)
{
	unsigned long addr = find_lookup_name();
	int missing = 0;

	if (!is_function(addr, "kallsyms_lookup_name")) {
		pr_err(PVFBT_NAME ": cannot locate kallsyms_lookup_name\n");
		return -ENOENT;
	}

	FN(on_each_symbol, "kallsyms_on_each_symbol");
	FN(module_on_each_symbol, "module_kallsyms_on_each_symbol");
	FN(module_address, "__module_address");
	FN(lookup_size_offset, "kallsyms_lookup_size_offset");
	FN(text_poke, "text_poke");
	pvfbt_ks.text_mutex = (void *)want("text_mutex", false, &missing);
	FN(within_kprobe_blacklist, "within_kprobe_blacklist");
	FN(alternatives_text_reserved, "alternatives_text_reserved");
	FN(search_exception_tables, "search_exception_tables");
	pvfbt_ks.ftrace_text_reserved = (void *)maybe("ftrace_text_reserved");
	pvfbt_ks.ftrace_location = (void *)maybe("ftrace_location");
	FN(get_kprobe, "get_kprobe");
	if (!pvfbt_ks.kprobe_mutex)
		pr_info(PVFBT_NAME ": kprobes' table not found: each address is looked up\n");
	find_return_thunks();
	pvfbt_ks.stack_trace_save_regs = (void *)maybe("stack_trace_save_regs");
	pvfbt_ks.stack_trace_consume_entry = maybe("stack_trace_consume_entry");
	pvfbt_ks.strncpy_from_user_nofault = (void *)maybe("strncpy_from_user_nofault");
	find_indirect_thunks();

	VAR(stext, "_stext");
	VAR(etext, "_etext");
	VAR(sinittext, "_sinittext");
	VAR(einittext, "_einittext");
	VAR(noinstr_start, "__noinstr_text_start");
	VAR(noinstr_end, "__noinstr_text_end");
	VAR(entry_start, "__entry_text_start");
	VAR(entry_end, "__entry_text_end");
	/* Not on every kernel line: an absent range is an empty range. */
	pvfbt_ks.irqentry_start = pvfbt_ks.lookup_name("__irqentry_text_start");
	pvfbt_ks.irqentry_end = pvfbt_ks.lookup_name("__irqentry_text_end");
	pvfbt_ks.softirqentry_start = pvfbt_ks.lookup_name("__softirqentry_text_start");
	pvfbt_ks.softirqentry_end = pvfbt_ks.lookup_name("__softirqentry_text_end");

	return missing ? -ENOENT : 0;
}
