// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one growing buffer of the tree (strbuf.h). Doubling from 4 KiB: the
 * buffers hold command output and downloads, rarely small.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define STRBUF_FIRST 4096

/* Room for extra more bytes and the NUL. */
static int grow(struct strbuf *sb, size_t extra)
{
	size_t na = sb->alloc ? sb->alloc : STRBUF_FIRST;
	char *nb;

	if (sb->len + extra + 1 <= sb->alloc)
		return 0;
	if (extra > (size_t)-1 / 4 - sb->len)
		return sb->err = -ENOMEM;
	while (na < sb->len + extra + 1)
		na *= 2;
	nb = realloc(sb->buf, na);
	if (!nb)
		return sb->err = -ENOMEM;
	sb->buf = nb;
	sb->alloc = na;
	return 0;
}

int strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	if (sb->err || grow(sb, n) < 0)
		return sb->err;
	if (n)
		memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int strbuf_reserve(struct strbuf *sb, size_t n)
{
	char *nb;

	if (sb->err || sb->len + n + 1 <= sb->alloc)
		return sb->err;
	if (n > (size_t)-1 / 4 - sb->len)
		return sb->err = -ENOMEM;
	nb = realloc(sb->buf, sb->len + n + 1);
	if (!nb)
		return sb->err = -ENOMEM;
	sb->buf = nb;
	sb->alloc = sb->len + n + 1;
	return 0;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* into the room there is first: one pass for most pieces of a long script */
	while (!sb->err) {
		size_t room = sb->alloc - sb->len;

		va_start(ap, fmt);
		n = vsnprintf(sb->buf ? sb->buf + sb->len : NULL, sb->buf ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			sb->err = -EINVAL;
			return;
		}
		if (sb->buf && (size_t)n < room) {
			sb->len += (size_t)n;
			return;
		}
		grow(sb, (size_t)n);
	}
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *b = sb->err ? NULL : sb->buf;

	if (!sb->err && !b)
		b = calloc(1, 1);
	if (len)
		*len = b ? sb->len : 0;
	if (!b)
		free(sb->buf);
	memset(sb, 0, sizeof(*sb));
	return b;
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->err = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void strbuf_release(struct strbuf *sb)
{
	if (!sb)
		return;
	free(sb->buf);
	memset(sb, 0, sizeof(*sb));
}

static bool is_blank(char c, enum strbuf_blanks blanks)
{
	unsigned char u = (unsigned char)c;

	if (blanks == STRBUF_BLANK_CONTROLS)
		return u <= ' ' || u == 0x7f;
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

void strbuf_one_line(char *buf, size_t size, const char *text, enum strbuf_blanks blanks)
{
	size_t n = 0;

	for (const char *s = text ? text : ""; *s && n + 1 < size; s++) {
		char c = is_blank(*s, blanks) ? ' ' : *s;

		if (c == ' ' && (n == 0 || buf[n - 1] == ' '))
			continue;
		buf[n++] = c;
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}
