/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A source endpoint's body parsed as it arrives, in chunks: a text list (a
 * provider with text_who) goes through the chunked text parser and is never
 * held whole; any other body (JSON, HTML, a provider without text_who) is
 * collected and given to the provider's parser at the end. Either way the
 * outcome is source_parse_endpoint's on the concatenated chunks. Also reads a
 * local file in fixed chunks through it, and checksums one without parsing.
 */
#ifndef CDNALLOW_SOURCE_STREAM_H
#define CDNALLOW_SOURCE_STREAM_H

#include <stddef.h>
#include <stdint.h>

struct diag;
struct prefix_set;
struct source;
struct source_stream;

/* Chunk size of the local file reads. */
#define SOURCE_READ_CHUNK ((size_t)64 << 10)

/* Like source_parse_endpoint(src, idx, …, out, exclude, d). NULL when out of memory. */
struct source_stream *source_stream_new(const struct source *src, size_t idx,
					struct prefix_set *out, struct prefix_set *exclude,
					struct diag *d);
void source_stream_free(struct source_stream *ss);
/* The body's length when known: sizes the prefix array once. */
void source_stream_expect(struct source_stream *ss, size_t total);
/* 0, or the parse's error (sticky; the sets are then as before). */
int source_stream_feed(struct source_stream *ss, const char *buf, size_t len);
int source_stream_finish(struct source_stream *ss);

/*
 * Parses the regular file path as endpoint idx of src, SOURCE_READ_CHUNK
 * bytes at a time; *len and *sum (checksum64) describe the bytes parsed.
 * -EFBIG past max bytes; -EAGAIN when the file changed while it was read
 * (size, mtime or inode differ after the read, or fewer or more bytes than
 * its size came), as a half-written file must not pass as the new list.
 * The parser's failures leave their message in d; a failure to read leaves
 * d's message empty (the error says what). On failure out and exclude hold
 * what they held before.
 */
int source_read_local(const struct source *src, size_t idx, const char *path, size_t max,
		      struct prefix_set *out, struct prefix_set *exclude, size_t *len,
		      uint64_t *sum, struct diag *d);
/* Length and checksum64 of the regular file path, read in chunks; -EAGAIN as above. */
int source_sum_local(const char *path, size_t max, size_t *len, uint64_t *sum);

#endif
