/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvfbt consumer: function prototypes from the running kernel's BTF
 * (/sys/kernel/btf/vmlinux, and /sys/kernel/btf/MODULE as split BTF), read
 * with libbpf's BTF API, to name and type the argument registers of an
 * entry record and the rax of a return record.  See design.md, "Typed
 * arguments".
 */
#ifndef PVFBT_BTF_H
#define PVFBT_BTF_H

#include <stddef.h>
#include <stdint.h>

#include "pvfbt.h"

struct btf;
struct kbtf;

/* How a register value prints. */
enum fval_kind {
	FV_SIGNED,	/* truncated to size, sign-extended, decimal */
	FV_UNSIGNED,	/* truncated to size, decimal */
	FV_CHAR,	/* a char type: a number, signed or not as declared */
	FV_BOOL,	/* low byte: true / false */
	FV_PTR,		/* hex */
	FV_ENUM,	/* the enumerator's name if one matches, else decimal */
	FV_VOID,	/* a return of a void function */
	FV_RAW,		/* not in one GP register (struct, float, > 8 bytes): raw */
};

struct fval {
	const char *name;	/* parameter name ("arg2" if BTF has none) */
	uint32_t type;		/* FV_ENUM: the enum's type id in proto->btf */
	uint8_t kind;		/* enum fval_kind */
	uint8_t size;		/* bytes, 1..8 */
	uint8_t is_signed;	/* FV_ENUM, FV_CHAR */
};

#define FPROTO_REGS	6	/* rdi rsi rdx rcx r8 r9: pvfbt_record.args[] */

/*
 * A parsed prototype.  args[0..nr_args) are the parameters passed in
 * rdi, rsi, rdx, rcx, r8, r9 (x86-64 SysV), in order; naming stops at the
 * first parameter that is not one GP register (a struct or union by value,
 * a float, more than 8 bytes) or after the sixth: "more" says that
 * parameters follow that are not shown (also for a variadic function).
 */
struct fproto {
	const char *func;
	const struct btf *btf;	/* the types' BTF (vmlinux or a module's) */
	uint32_t proto_id;	/* its FUNC_PROTO */
	uint8_t nr_args;
	uint8_t more;
	struct fval args[FPROTO_REGS];
	struct fval ret;
};

/*
 * Open the kernel's BTF: $PVFBT_BTF_DIR/vmlinux if PVFBT_BTF_DIR is set
 * (module BTF then from $PVFBT_BTF_DIR/MODULE), else /sys/kernel/btf/.
 * Returns NULL without BTF, with *why saying what was missing (a static
 * string or one owned until the next call).
 */
struct kbtf *kbtf_open(const char **why);
void kbtf_close(struct kbtf *k);

/*
 * The prototype of a catalogue function, or NULL: no BTF for its module,
 * no FUNC of that name, or the name is ambiguous (several FUNCs of that
 * name with different prototypes).  Cached by fid: one lookup per
 * function, then an array index.
 */
const struct fproto *btf_proto(struct kbtf *k, const struct pvfbt_func *f);

/*
 * A name that several catalogue functions of one module share (static
 * functions in different files) cannot be matched to one BTF FUNC: call
 * this for every catalogue function before btf_proto(), and such names get
 * no prototype.
 */
void btf_note_func(struct kbtf *k, const struct pvfbt_func *f);

/*
 * The value of register contents RAW as v says.  Text into buf; returns
 * 1 if, in JSON, it is a string (quote it), 0 if it is a JSON literal
 * (number, true, false, null: FV_VOID writes "void" for text and the
 * caller writes null).
 */
int fval_format(char *buf, size_t len, const struct fproto *p,
		const struct fval *v, uint64_t raw);

/*
 * The C prototype, "ssize_t vfs_read(struct file *file, char *buf, ...)",
 * written by libbpf's btf_dump__emit_type_decl(); -1 if it cannot.
 */
int btf_proto_decl(struct kbtf *k, const struct fproto *p, char *buf,
		   size_t len);

#endif
