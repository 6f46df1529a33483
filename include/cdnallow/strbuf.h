/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A growing, NUL-terminated byte buffer: a child's captured output, a
 * download, a restore script being written. Errors are sticky (err), so a
 * writer of many pieces checks once at the end.
 */
#ifndef CDNALLOW_STRBUF_H
#define CDNALLOW_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf; /* NUL-terminated once anything was appended, owned */
	size_t len, alloc;
	int err; /* 0, or the first -ENOMEM / -EINVAL; nothing is appended after it */
};

/* Appends n bytes of p; 0 or sb->err. */
int strbuf_add(struct strbuf *sb, const void *p, size_t n);
/* Appends the formatted text; the error, if any, is in sb->err. */
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands buf to the caller ("" when nothing was appended; NULL after an error or on ENOMEM) and
 * empties sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Empties sb and clears its error, keeping the allocation (a retried download). */
void strbuf_reset(struct strbuf *sb);
/* Frees buf; sb may be reused. sb may be NULL. */
void strbuf_release(struct strbuf *sb);

#endif
