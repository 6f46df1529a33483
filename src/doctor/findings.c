// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The list of doctor findings. An allocation failure drops a finding's text
 * but never the finding itself, so a problem is never silently lost.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"

void findings_add(struct findings *f, const char *check, enum severity sev, const char *fix,
		  const char *fmt, ...)
{
	struct finding *v = realloc(f->v, (f->n + 1) * sizeof(*v));
	char *text = NULL;
	va_list ap;

	if (!v)
		return;
	f->v = v;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	v[f->n].check = check;
	v[f->n].severity = sev;
	v[f->n].message = text ? text : strdup("(out of memory)");
	v[f->n].fix = strdup(fix ? fix : "");
	f->n++;
}

void findings_release(struct findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].message);
		free(f->v[i].fix);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

size_t findings_count(const struct findings *f, enum severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].severity == sev;
	return n;
}
