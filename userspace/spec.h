/* SPDX-License-Identifier: GPL-2.0 */
/* pvfbt consumer: probe descriptions (provider:module:function:name). */
#ifndef PVFBT_SPEC_H
#define PVFBT_SPEC_H

#include <stddef.h>

struct spec {
	const char *text;	/* as the user wrote it (not owned) */
	char *provider;		/* "" = any */
	char *module;
	char *function;
	char *name;
	char *buf;		/* storage of the four fields */
};

enum spec_err {
	SPEC_OK = 0,
	SPEC_EMPTY,		/* "" */
	SPEC_TOO_MANY,		/* more than four fields */
	SPEC_BAD_NAME,		/* name matches neither entry nor return */
	SPEC_NOMEM,
};

/* Parse TEXT: four fields provider:module:function:name; with fewer the
 * rightmost are given (module:function:name, function:name), except that
 * a single field is a function. */
int spec_parse(const char *text, struct spec *s);
void spec_free(struct spec *s);
const char *spec_strerror(int err);

/* Field matchers: an empty pattern matches anything. */
int spec_match_provider(const struct spec *s, const char *provider);
int spec_match_module(const struct spec *s, const char *module);
/* Includes the alias rule: "sys_X" also matches "__x64_sys_X". */
int spec_match_function(const struct spec *s, const char *function);
int spec_match_name(const struct spec *s, const char *name);
/* Whole probe: fbt:MODULE:FUNCTION:(entry|return). */
int spec_match(const struct spec *s, const char *module, const char *function,
	       int is_return);

/* Glob with the alias rule, exposed for tests. */
int func_glob_match(const char *pattern, const char *function);

#endif
