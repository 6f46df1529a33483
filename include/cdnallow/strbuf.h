/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A growing, NUL-terminated byte buffer: a child's captured output, a
 * download, a restore script being written. Errors are sticky (err), so a
 * writer of many pieces checks once at the end. Also the one copy of such
 * output into a fixed one-line buffer, for a message.
 */
#ifndef CDNALLOW_STRBUF_H
#define CDNALLOW_STRBUF_H

#include <stddef.h>

/* Which bytes strbuf_one_line turns into blanks (besides the space itself). */
enum strbuf_blanks {
	STRBUF_BLANK_BREAKS,   /* \n \r \t: other bytes are kept (msg.c escapes them) */
	STRBUF_BLANK_CONTROLS, /* every control character and DEL */
};

struct strbuf {
	char *buf; /* NUL-terminated once anything was appended, owned */
	size_t len, alloc;
	int err; /* 0, or the first -ENOMEM / -EINVAL; nothing is appended after it */
};

/* Appends n bytes of p; 0 or sb->err. */
int strbuf_add(struct strbuf *sb, const void *p, size_t n);
/* Room for n more bytes in one allocation of just that size (a body of known length); 0 or
 * sb->err. */
int strbuf_reserve(struct strbuf *sb, size_t n);
/* Appends the formatted text; the error, if any, is in sb->err. */
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands buf to the caller ("" when nothing was appended; NULL after an error or on ENOMEM) and
 * empties sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Empties sb and clears its error, keeping the allocation (a retried download). */
void strbuf_reset(struct strbuf *sb);
/* Frees buf; sb may be reused. sb may be NULL. */
void strbuf_release(struct strbuf *sb);

/* Copies text (NULL: "") into buf, size >= 1, cut to fit: runs of blanks become one space,
 * none at either end. */
void strbuf_one_line(char *buf, size_t size, const char *text, enum strbuf_blanks blanks);

#endif
