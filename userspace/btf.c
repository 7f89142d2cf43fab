// SPDX-License-Identifier: GPL-2.0
/*
 * pvfbt consumer: function prototypes from the kernel's BTF, with libbpf.
 *
 * vmlinux's BTF is read when a session that prints events starts; a
 * module's split BTF (/sys/kernel/btf/MODULE on top of vmlinux's) when a
 * function of that module is first looked up.  Each BTF gets a hash index
 * of its FUNC names (one pass over its types), each catalogue function a
 * cached prototype (by fid): printing an event costs an array index.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf.h"

#define SYSFS_BTF	"/sys/kernel/btf"

/* A string-keyed open-addressing table (power-of-two capacity). */
struct strtab {
	struct strent {
		const char *key;	/* NULL: free */
		uint32_t val;
	} *e;
	size_t cap, nr;
};

#define FUNC_AMBIGUOUS	UINT32_MAX

static uint64_t strhash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct strent *st_slot(struct strent *e, size_t cap, const char *key)
{
	size_t i = (size_t)(strhash(key) >> 7) & (cap - 1);

	while (e[i].key && strcmp(e[i].key, key))
		i = (i + 1) & (cap - 1);
	return &e[i];
}

/* The entry for key, inserted (val 0) if new; NULL without memory. */
static struct strent *st_get(struct strtab *t, const char *key, int *is_new)
{
	struct strent *s;

	if ((t->nr + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 1024, i;
		struct strent *ne = calloc(ncap, sizeof(*ne));

		if (!ne)
			return NULL;
		for (i = 0; i < t->cap; i++)
			if (t->e[i].key)
				*st_slot(ne, ncap, t->e[i].key) = t->e[i];
		free(t->e);
		t->e = ne;
		t->cap = ncap;
	}
	s = st_slot(t->e, t->cap, key);
	*is_new = !s->key;
	if (!s->key) {
		s->key = key;
		s->val = 0;
		t->nr++;
	}
	return s;
}

static const struct strent *st_find(const struct strtab *t, const char *key)
{
	const struct strent *s;

	if (!t->cap)
		return NULL;
	s = st_slot(t->e, t->cap, key);
	return s->key ? s : NULL;
}

/* Where btf_dump's printf callback writes. */
struct declbuf {
	char *buf;
	size_t len, used;
};

/* One BTF: vmlinux's or a module's (split, on top of vmlinux's). */
struct kbtf_obj {
	char name[PVFBT_MODNAME_LEN + 1];
	struct btf *btf;	/* NULL: none (tried) */
	struct strtab funcs;	/* FUNC name -> type id or FUNC_AMBIGUOUS */
	struct btf_dump *dump;	/* for btf_proto_decl(), made on first use */
	struct declbuf decl;	/* its callback's context */
};

struct kbtf {
	char dir[256];
	struct kbtf_obj vmlinux;
	struct kbtf_obj **mods;
	size_t nr_mods;
	struct strtab names;	/* "module:function" -> catalogue functions */
	char **owned;		/* keys of names, allocated */
	size_t nr_owned, cap_owned;
	struct fcache {
		struct fproto *p;
		uint8_t state;	/* 0 unknown, 1 none, 2 p */
	} *by_fid;
	uint32_t nr_fid;
	char why[320];
};

static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int index_funcs(struct kbtf_obj *o, uint32_t first)
{
	uint32_t n = btf__type_cnt(o->btf), id;

	for (id = first; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(o->btf, id);
		const char *name;
		struct strent *s;
		int is_new;

		if (!t || !btf_is_func(t))
			continue;
		name = btf__name_by_offset(o->btf, t->name_off);
		if (!name || !*name)
			continue;
		s = st_get(&o->funcs, name, &is_new);
		if (!s)
			return -1;
		if (is_new)
			s->val = id;
		else if (s->val != FUNC_AMBIGUOUS &&
			 btf__type_by_id(o->btf, s->val)->type != t->type)
			s->val = FUNC_AMBIGUOUS;	/* same name, other prototype */
	}
	return 0;
}

struct kbtf *kbtf_open(const char **why)
{
	struct kbtf *k = calloc(1, sizeof(*k));
	const char *dir = getenv("PVFBT_BTF_DIR");
	char path[300];
	int err;

	if (!k) {
		*why = "out of memory";
		return NULL;
	}
	libbpf_set_print(quiet_print);
	snprintf(k->dir, sizeof(k->dir), "%s", dir && *dir ? dir : SYSFS_BTF);
	snprintf(path, sizeof(path), "%s/vmlinux", k->dir);
	strcpy(k->vmlinux.name, "vmlinux");
	k->vmlinux.btf = btf__parse(path, NULL);
	err = libbpf_get_error(k->vmlinux.btf);
	if (err) {
		static char msg[360];

		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(-err));
		*why = msg;
		free(k);
		return NULL;
	}
	if (index_funcs(&k->vmlinux, 1)) {
		kbtf_close(k);
		*why = "out of memory";
		return NULL;
	}
	return k;
}

static void obj_free(struct kbtf_obj *o)
{
	if (o->dump)
		btf_dump__free(o->dump);
	btf__free(o->btf);
	free(o->funcs.e);
}

void kbtf_close(struct kbtf *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nr_mods; i++) {
		obj_free(k->mods[i]);
		free(k->mods[i]);
	}
	free(k->mods);
	obj_free(&k->vmlinux);
	for (i = 0; i < k->nr_fid; i++)
		free(k->by_fid[i].p);
	free(k->by_fid);
	for (i = 0; i < k->nr_owned; i++)
		free(k->owned[i]);
	free(k->owned);
	free(k->names.e);
	free(k);
}

/* The BTF of module mod: loaded on first use; NULL if it has none. */
static struct kbtf_obj *module_obj(struct kbtf *k, const char *mod)
{
	struct kbtf_obj *o, **nm;
	char path[600];
	size_t i;

	if (!strcmp(mod, "vmlinux"))
		return &k->vmlinux;
	for (i = 0; i < k->nr_mods; i++)
		if (!strcmp(k->mods[i]->name, mod))
			return k->mods[i]->btf ? k->mods[i] : NULL;
	o = calloc(1, sizeof(*o));
	nm = realloc(k->mods, (k->nr_mods + 1) * sizeof(*nm));
	if (!o || !nm) {
		free(o);
		if (nm)
			k->mods = nm;
		return NULL;
	}
	k->mods = nm;
	k->mods[k->nr_mods++] = o;
	snprintf(o->name, sizeof(o->name), "%s", mod);
	if (!*mod || strchr(mod, '/') || mod[0] == '.')
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", k->dir, mod);
	o->btf = btf__parse_split(path, k->vmlinux.btf);
	if (libbpf_get_error(o->btf)) {
		o->btf = NULL;
		return NULL;
	}
	if (index_funcs(o, btf__type_cnt(k->vmlinux.btf))) {
		btf__free(o->btf);
		o->btf = NULL;
		return NULL;
	}
	return o;
}

static void func_key(char *buf, size_t len, const struct pvfbt_func *f)
{
	snprintf(buf, len, "%.*s:%.*s", (int)sizeof(f->module), f->module,
		 (int)sizeof(f->name), f->name);
}

void btf_note_func(struct kbtf *k, const struct pvfbt_func *f)
{
	char key[PVFBT_MODNAME_LEN + PVFBT_NAME_LEN + 2], *own;
	struct strent *s;
	int is_new;

	if (!k)
		return;
	func_key(key, sizeof(key), f);
	s = (struct strent *)st_find(&k->names, key);
	if (s) {
		s->val++;
		return;
	}
	if (k->nr_owned == k->cap_owned) {
		size_t ncap = k->cap_owned ? 2 * k->cap_owned : 1024;
		char **n = realloc(k->owned, ncap * sizeof(*n));

		if (!n)
			return;
		k->owned = n;
		k->cap_owned = ncap;
	}
	own = strdup(key);
	if (!own)
		return;
	s = st_get(&k->names, own, &is_new);
	if (!s) {
		free(own);
		return;
	}
	k->owned[k->nr_owned++] = own;
	s->val = 1;
}

static uint32_t skip_mods(const struct btf *btf, uint32_t id)
{
	int n;

	for (n = 0; id && n < 32; n++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t)
			return 0;
		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			break;
		default:
			return id;
		}
	}
	return id;
}

/* How a value of type id travels and prints (FV_RAW: not one GP register). */
static void classify(const struct btf *btf, uint32_t id, struct fval *v)
{
	const struct btf_type *t;
	uint32_t enc;

	v->size = 8;
	id = skip_mods(btf, id);
	if (!id) {
		v->kind = FV_VOID;
		return;
	}
	t = btf__type_by_id(btf, id);
	v->kind = FV_RAW;
	if (!t)
		return;
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
		v->kind = FV_PTR;
		return;
	case BTF_KIND_INT:
		if (!t->size || t->size > 8)
			return;
		v->size = (uint8_t)t->size;
		enc = btf_int_encoding(t);
		if (enc & BTF_INT_BOOL)
			v->kind = FV_BOOL;
		else if (enc & BTF_INT_CHAR)
			v->kind = FV_CHAR;
		else
			v->kind = enc & BTF_INT_SIGNED ? FV_SIGNED : FV_UNSIGNED;
		v->is_signed = !!(enc & BTF_INT_SIGNED);
		return;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (!t->size || t->size > 8)
			return;
		v->kind = FV_ENUM;
		v->size = (uint8_t)t->size;
		v->type = id;
		v->is_signed = btf_kflag(t);
		return;
	default:
		return;	/* struct, union, float, ...: not one GP register */
	}
}

static struct fproto *parse_proto(const struct btf *btf, uint32_t func_id,
				  const char *name)
{
	const struct btf_type *fn = btf__type_by_id(btf, func_id), *pt;
	const struct btf_param *prm;
	struct fproto *p;
	uint16_t i, vlen;

	pt = fn ? btf__type_by_id(btf, fn->type) : NULL;
	if (!pt || !btf_is_func_proto(pt))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->func = name;
	p->btf = btf;
	p->proto_id = fn->type;
	classify(btf, pt->type, &p->ret);
	vlen = btf_vlen(pt);
	prm = btf_params(pt);
	for (i = 0; i < vlen; i++) {
		struct fval *v = &p->args[p->nr_args];
		const char *pn;

		if (!prm[i].type) {	/* "...": variadic */
			p->more = 1;
			break;
		}
		if (p->nr_args == FPROTO_REGS) {
			p->more = 1;
			break;
		}
		classify(btf, prm[i].type, v);
		if (v->kind == FV_RAW || v->kind == FV_VOID) {
			memset(v, 0, sizeof(*v));
			p->more = 1;
			break;
		}
		pn = btf__name_by_offset(btf, prm[i].name_off);
		v->name = pn && *pn ? pn : NULL;
		p->nr_args++;
	}
	return p;
}

static const char *const arg_names[FPROTO_REGS] = {
	"arg0", "arg1", "arg2", "arg3", "arg4", "arg5",
};

const struct fproto *btf_proto(struct kbtf *k, const struct pvfbt_func *f)
{
	char mod[PVFBT_MODNAME_LEN + 1], key[PVFBT_MODNAME_LEN + PVFBT_NAME_LEN + 2];
	const struct strent *s;
	struct kbtf_obj *o;
	struct fcache *c;
	uint8_t i;

	if (!k || !f)
		return NULL;
	if (f->fid >= k->nr_fid) {
		uint32_t n = f->fid + 1 > 2 * k->nr_fid ? f->fid + 1 : 2 * k->nr_fid;
		struct fcache *nc = realloc(k->by_fid, (size_t)n * sizeof(*nc));

		if (!nc)
			return NULL;
		memset(nc + k->nr_fid, 0, (size_t)(n - k->nr_fid) * sizeof(*nc));
		k->by_fid = nc;
		k->nr_fid = n;
	}
	c = &k->by_fid[f->fid];
	if (c->state)
		return c->p;
	c->state = 1;
	func_key(key, sizeof(key), f);
	s = st_find(&k->names, key);
	if (s && s->val > 1)
		return NULL;	/* several functions of this name */
	snprintf(mod, sizeof(mod), "%.*s", (int)sizeof(f->module), f->module);
	o = module_obj(k, mod);
	if (!o)
		return NULL;
	s = st_find(&o->funcs, strchr(key, ':') + 1);
	if (!s || s->val == FUNC_AMBIGUOUS)
		return NULL;
	c->p = parse_proto(o->btf, s->val, s->key);
	if (!c->p)
		return NULL;
	for (i = 0; i < c->p->nr_args; i++)
		if (!c->p->args[i].name)
			c->p->args[i].name = arg_names[i];
	c->state = 2;
	return c->p;
}

static uint64_t mask(uint64_t v, unsigned size)
{
	return size >= 8 ? v : v & ((1ULL << (8 * size)) - 1);
}

static int64_t sext(uint64_t v, unsigned size)
{
	unsigned sh = size >= 8 ? 0 : 64 - 8 * size;

	return (int64_t)(v << sh) >> sh;
}

static int fmt_enum(char *buf, size_t len, const struct fproto *p,
		    const struct fval *v, uint64_t raw)
{
	const struct btf_type *t = btf__type_by_id(p->btf, v->type);
	uint64_t want = mask(raw, v->size);
	uint16_t i, n = t ? btf_vlen(t) : 0;

	for (i = 0; i < n; i++) {
		uint64_t ev;
		uint32_t name_off;

		if (btf_is_enum64(t)) {
			const struct btf_enum64 *e = btf_enum64(t) + i;

			ev = btf_enum64_value(e);
			name_off = e->name_off;
		} else {
			const struct btf_enum *e = btf_enum(t) + i;

			ev = (uint64_t)(int64_t)e->val;
			name_off = e->name_off;
		}
		if (mask(ev, v->size) == want) {
			snprintf(buf, len, "%s",
				 btf__name_by_offset(p->btf, name_off));
			return 1;
		}
	}
	if (v->is_signed)
		snprintf(buf, len, "%" PRId64, sext(raw, v->size));
	else
		snprintf(buf, len, "%" PRIu64, want);
	return 0;
}

int fval_format(char *buf, size_t len, const struct fproto *p,
		const struct fval *v, uint64_t raw)
{
	switch (v->kind) {
	case FV_SIGNED:
		snprintf(buf, len, "%" PRId64, sext(raw, v->size));
		return 0;
	case FV_CHAR:
		if (v->is_signed)
			snprintf(buf, len, "%" PRId64, sext(raw, v->size));
		else
			snprintf(buf, len, "%" PRIu64, mask(raw, v->size));
		return 0;
	case FV_UNSIGNED:
		snprintf(buf, len, "%" PRIu64, mask(raw, v->size));
		return 0;
	case FV_BOOL:
		snprintf(buf, len, "%s", mask(raw, v->size) ? "true" : "false");
		return 0;
	case FV_PTR:
		snprintf(buf, len, "0x%" PRIx64, raw);
		return 1;
	case FV_ENUM:
		return fmt_enum(buf, len, p, v, raw);
	case FV_VOID:
		snprintf(buf, len, "void");
		return 0;
	default:
		snprintf(buf, len, "0x%" PRIx64, raw);
		return 1;
	}
}

static void decl_printf(void *ctx, const char *fmt, va_list ap)
{
	struct declbuf *d = ctx;
	int n;

	if (d->used >= d->len)
		return;
	n = vsnprintf(d->buf + d->used, d->len - d->used, fmt, ap);
	if (n > 0)
		d->used += (size_t)n;
}

int btf_proto_decl(struct kbtf *k, const struct fproto *p, char *buf,
		   size_t len)
{
	struct kbtf_obj *o = NULL;
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, opts, .field_name = p->func);
	size_t i;

	if (!k || !p || !len)
		return -1;
	if (p->btf == k->vmlinux.btf)
		o = &k->vmlinux;
	for (i = 0; !o && i < k->nr_mods; i++)
		if (k->mods[i]->btf == p->btf)
			o = k->mods[i];
	if (!o)
		return -1;
	if (!o->dump) {
		o->dump = btf_dump__new(o->btf, decl_printf, &o->decl, NULL);
		if (libbpf_get_error(o->dump)) {
			o->dump = NULL;
			return -1;
		}
	}
	o->decl = (struct declbuf){ buf, len, 0 };
	buf[0] = '\0';
	if (btf_dump__emit_type_decl(o->dump, p->proto_id, &opts) ||
	    o->decl.used >= len)
		return -1;
	/* libbpf writes "f()" for a function without parameters: C's "f(void)" */
	if (o->decl.used >= 2 && !strcmp(buf + o->decl.used - 2, "()") &&
	    o->decl.used + 4 < len)
		strcpy(buf + o->decl.used - 1, "void)");
	return 0;
}
