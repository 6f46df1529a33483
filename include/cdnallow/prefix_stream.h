/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The text-list parser of prefix_set_parse_text fed in chunks of any size
 * (a file read 64 KiB at a time, a download's write callback), so a big list
 * is never held whole next to its prefixes. Same prefixes, messages, warnings
 * and limits as parsing the concatenated chunks in one call.
 */
#ifndef CDNALLOW_PREFIX_STREAM_H
#define CDNALLOW_PREFIX_STREAM_H

#include <stddef.h>

struct diag;
struct prefix_set;
struct text_stream;

/* Appends to s; messages name origin (kept, not copied) and go to d. NULL when out of memory. */
struct text_stream *text_stream_new(struct prefix_set *s, const char *origin, struct diag *d);
void text_stream_free(struct text_stream *t);
/* The body's length when known (a file's size, a Content-Length): sizes s once, not by doubling. */
void text_stream_expect(struct text_stream *t, size_t total);
/* The next len bytes. 0, or the error of the whole parse (then sticky, and s is as before). */
int text_stream_feed(struct text_stream *t, const char *buf, size_t len);
/* The end of the body: its last line and the closing warnings. */
int text_stream_finish(struct text_stream *t);

#endif
