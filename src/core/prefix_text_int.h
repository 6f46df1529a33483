/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the whole-body text parser (prefix_text.c) shares with the chunked
 * one (prefix_stream.c), so both give the same prefixes, messages and
 * warnings: the line loop, the HTML check and the closing host-bit summary.
 * Core only; callers outside src/core use prefix_set.h and prefix_stream.h.
 */
#ifndef CDNALLOW_PREFIX_TEXT_INT_H
#define CDNALLOW_PREFIX_TEXT_INT_H

#include <stddef.h>
#include <string.h>

struct diag;
struct prefix_set;

/* Where parsing is, for messages, and how many host-bit warnings were given. */
struct text_pos {
	const char *origin;
	size_t lineno, host_bits_count;
	size_t base; /* offset in the body of the buffer passed to prefix_text_lines */
};

/* Bytes of a UTF-8 byte order mark (from a Windows editor) at the body's start: 0 or 3. */
static inline size_t prefix_text_bom(const char *p, size_t len)
{
	return len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

/* The line of the first '<' when it is the first thing in the body, else 0. */
size_t prefix_text_html_line(const char *buf, size_t len);
/* The error for a body whose line at->lineno starts an HTML page; -EINVAL. */
int prefix_text_html_err(const struct text_pos *at, struct diag *d);
/*
 * Parses the lines [p, end) of buf into s; every line but the last ends with
 * '\n' (the last is the body's end when it has none). Returns 0, -EINVAL (d
 * says which line) or -ENOMEM; on failure s keeps what was added so far.
 */
int prefix_text_lines(struct prefix_set *s, const char *buf, const char *p, const char *end,
		      struct text_pos *at, struct diag *d);
/* The one warning summing up the host-bit warnings past the first ones. */
void prefix_text_summary(const struct text_pos *at, struct diag *d);

#endif
