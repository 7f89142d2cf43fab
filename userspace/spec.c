// SPDX-License-Identifier: GPL-2.0
/* pvfbt consumer: probe descriptions. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

#define SYS_ALIAS_PREFIX	"sys_"
#define SYS_REAL_PREFIX		"__x64_sys_"

static int glob(const char *pattern, const char *str)
{
	if (!pattern[0])
		return 1;
	return fnmatch(pattern, str, 0) == 0;
}

int func_glob_match(const char *pattern, const char *function)
{
	size_t ap = strlen(SYS_ALIAS_PREFIX), rp = strlen(SYS_REAL_PREFIX);

	if (glob(pattern, function))
		return 1;
	if (strncmp(pattern, SYS_ALIAS_PREFIX, ap) == 0 &&
	    strncmp(function, SYS_REAL_PREFIX, rp) == 0)
		return fnmatch(pattern + ap, function + rp, 0) == 0;
	return 0;
}

const char *spec_strerror(int err)
{
	switch (err) {
	case SPEC_OK:
		return "no error";
	case SPEC_EMPTY:
		return "empty probe description";
	case SPEC_TOO_MANY:
		return "too many fields (at most provider:module:function:name)";
	case SPEC_BAD_NAME:
		return "probe name must be 'entry' or 'return' (or a glob matching one)";
	case SPEC_NOMEM:
		return "out of memory";
	}
	return "invalid probe description";
}

int spec_parse(const char *text, struct spec *s)
{
	char *fields[4];
	int n = 1, i;
	char *p;

	memset(s, 0, sizeof(*s));
	s->text = text;
	if (!text || !text[0])
		return SPEC_EMPTY;
	for (p = (char *)text; *p; p++)
		if (*p == ':')
			n++;
	if (n > 4)
		return SPEC_TOO_MANY;
	/* One buffer: the text with ':' turned into NULs, plus one "" */
	s->buf = malloc(strlen(text) + 2);
	if (!s->buf)
		return SPEC_NOMEM;
	strcpy(s->buf, text);
	s->buf[strlen(text) + 1] = '\0';
	fields[0] = s->buf;
	for (i = 1, p = s->buf; *p; p++)
		if (*p == ':') {
			*p = '\0';
			fields[i++] = p + 1;
		}
	/* Missing leftmost fields are empty (any). */
	{
		char *empty = s->buf + strlen(text) + 1;
		char *all[4];
		int k;

		for (k = 0; k < 4; k++)
			all[k] = empty;
		if (n == 1) {
			/* A lone word is a function (sys_getppid). */
			all[2] = fields[0];
		} else {
			for (i = 0; i < n; i++)
				all[4 - n + i] = fields[i];
		}
		s->provider = all[0];
		s->module = all[1];
		s->function = all[2];
		s->name = all[3];
	}
	if (s->name[0] && !glob(s->name, "entry") && !glob(s->name, "return")) {
		spec_free(s);
		s->text = text;
		return SPEC_BAD_NAME;
	}
	return SPEC_OK;
}

void spec_free(struct spec *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

int spec_match_provider(const struct spec *s, const char *provider)
{
	return glob(s->provider, provider);
}

int spec_match_module(const struct spec *s, const char *module)
{
	return glob(s->module, module);
}

int spec_match_function(const struct spec *s, const char *function)
{
	return func_glob_match(s->function, function);
}

int spec_match_name(const struct spec *s, const char *name)
{
	return glob(s->name, name);
}

int spec_match(const struct spec *s, const char *module, const char *function,
	       int is_return)
{
	return spec_match_provider(s, "fbt") &&
	       spec_match_module(s, module) &&
	       spec_match_name(s, is_return ? "return" : "entry") &&
	       spec_match_function(s, function);
}
