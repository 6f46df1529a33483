// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fills struct diag for the one place that prints (src/cli/msg.c). Never
 * prints, never fails loudly: losing a warning to ENOMEM beats aborting.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void diag_release(struct diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nwarnings; i++)
		free(d->warnings[i]);
	free(d->warnings);
	d->warnings = NULL;
	d->nwarnings = 0;
}

void diag_err(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	if (!d || d->msg[0])
		return;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

void diag_prefix(struct diag *d, const char *fmt, ...)
{
	char head[DIAG_MSG_MAX];
	size_t hlen, mlen;
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	hlen = strlen(head);
	mlen = strnlen(d->msg, sizeof(d->msg) - 1);
	/* the tail of an over-long message is lost, never the context in front */
	if (hlen + mlen > sizeof(d->msg) - 1)
		mlen = hlen < sizeof(d->msg) - 1 ? sizeof(d->msg) - 1 - hlen : 0;
	memmove(d->msg + hlen, d->msg, mlen);
	memcpy(d->msg, head, hlen < sizeof(d->msg) - 1 ? hlen : sizeof(d->msg) - 1);
	d->msg[hlen + mlen < sizeof(d->msg) ? hlen + mlen : sizeof(d->msg) - 1] = '\0';
}

static void push_warning(struct diag *d, char *w)
{
	char **v = realloc(d->warnings, (d->nwarnings + 1) * sizeof(*v));

	if (!v) {
		free(w);
		return;
	}
	d->warnings = v;
	d->warnings[d->nwarnings++] = w;
}

void diag_warn(struct diag *d, const char *fmt, ...)
{
	char *w = NULL;
	va_list ap;
	int n;

	if (!d)
		return;
	va_start(ap, fmt);
	n = vasprintf(&w, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	push_warning(d, w);
}

void diag_take_warnings(struct diag *dst, struct diag *src)
{
	if (!src)
		return;
	for (size_t i = 0; i < src->nwarnings; i++) {
		if (dst)
			push_warning(dst, src->warnings[i]);
		else
			free(src->warnings[i]);
	}
	free(src->warnings);
	src->warnings = NULL;
	src->nwarnings = 0;
}

void diag_clear_err(struct diag *d)
{
	if (d)
		d->msg[0] = '\0';
}
