// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sources.rec, the binary form of the per-source record (include/cdnallow/history.h):
 * a header (magic with version, payload length, FNV-1a of the payload, record
 * count), then per source its name, changed_total and its aggregated list in
 * prefix_pack records. It replaced sources.json, whose JSON parse and render
 * of every prefix cost most of a sync at 100k; sources.json is read once, when
 * no sources.rec exists, and removed by the first write. A damaged record is
 * reported as such, never read as a shorter list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "hash.h"
#include "fileio.h"
#include "history.h"
#include "prefix.h"
#include "prefix_pack.h"
#include "prefix_set.h"
#include "strbuf.h"

#define REC_MAGIC "CDNASRC2"
#define REC_HEADER 28 /* magic 8, payload length 8, hash 8, records 4 */

static void pack_record(struct strbuf *sb, const struct source_record *rec)
{
	size_t nlen = strnlen(rec->name, CHANGE_NAME_MAX - 1);
	uint8_t b[14];

	pack_put_le(b, nlen, 2);
	strbuf_add(sb, b, 2);
	strbuf_add(sb, rec->name, nlen);
	pack_put_le(b, rec->changed_total, 8);
	pack_put_le(b + 8, rec->set->n, 4);
	strbuf_add(sb, b, 12);
	prefix_pack(sb, rec->set);
}

int history_pack_sources(const struct source_records *r, char **out, size_t *len)
{
	struct strbuf sb = { 0 };
	uint8_t *h;
	size_t n;

	*out = NULL;
	strbuf_add(&sb, REC_MAGIC, 8);
	strbuf_add(&sb, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", REC_HEADER - 8);
	for (size_t i = 0; i < r->n; i++)
		pack_record(&sb, &r->v[i]);
	if (sb.err == 0 && (r->n > UINT32_MAX || sb.len > SIZE_MAX / 2))
		sb.err = -EOVERFLOW;
	if (sb.err) {
		int ret = sb.err;

		strbuf_release(&sb);
		return ret;
	}
	h = (uint8_t *)sb.buf;
	n = sb.len - REC_HEADER;
	pack_put_le(h + 8, n, 8);
	pack_put_le(h + 16, fnv1a64(h + REC_HEADER, n), 8);
	pack_put_le(h + 24, r->n, 4);
	*out = strbuf_detach(&sb, len);
	return *out ? 0 : -ENOMEM;
}

/* Strictly ascending and unchanged by aggregation: what pack_record wrote, nothing else. */
static bool is_aggregated(struct prefix_set *s)
{
	size_t n = s->n;

	for (size_t i = 1; i < n; i++)
		if (prefix_cmp(&s->v[i - 1], &s->v[i]) >= 0)
			return false;
	return prefix_set_aggregate(s) == 0 && s->n == n;
}

static int unpack_record(const uint8_t **p, const uint8_t *end, struct source_records *r)
{
	char name[CHANGE_NAME_MAX];
	struct prefix_set *set = NULL;
	unsigned long long total;
	size_t nlen, count;
	int ret = -EBADMSG;

	if (end - *p < 2)
		return -EBADMSG;
	nlen = (size_t)pack_get_le(*p, 2);
	if (nlen == 0 || nlen >= CHANGE_NAME_MAX || (size_t)(end - *p - 2) < nlen + 12)
		return -EBADMSG;
	memcpy(name, *p + 2, nlen);
	name[nlen] = '\0';
	if (strlen(name) != nlen)
		return -EBADMSG;
	total = pack_get_le(*p + 2 + nlen, 8);
	count = (size_t)pack_get_le(*p + 10 + nlen, 4);
	*p += 14 + nlen;
	set = prefix_set_new();
	if (!set)
		return -ENOMEM;
	ret = prefix_unpack(p, end, count, set);
	if (ret == 0 && !is_aggregated(set))
		ret = -EBADMSG;
	if (ret == 0)
		ret = history_adopt_source(r, name, set, total);
	else
		prefix_set_free(set);
	return ret;
}

int history_unpack_sources(const void *buf, size_t len, struct source_records *r, struct diag *d)
{
	const uint8_t *h = buf, *p, *end;
	size_t count = 0;
	int ret = 0;

	if (len < REC_HEADER || memcmp(h, REC_MAGIC, 8) ||
	    pack_get_le(h + 8, 8) != len - REC_HEADER ||
	    pack_get_le(h + 16, 8) != fnv1a64(h + REC_HEADER, len - REC_HEADER)) {
		diag_err(d, "not a whole version 2 sources record (header or checksum)");
		return -EBADMSG;
	}
	count = (size_t)pack_get_le(h + 24, 4);
	p = h + REC_HEADER;
	end = h + len;
	for (size_t i = 0; i < count && ret == 0; i++) {
		ret = unpack_record(&p, end, r);
		if (ret == -EBADMSG)
			diag_err(d, "sources record %zu is malformed", i);
	}
	if (ret == 0 && p != end) {
		diag_err(d, "%zu bytes after the last sources record", (size_t)(end - p));
		ret = -EBADMSG;
	}
	if (ret == -ENOMEM)
		diag_err(d, "reading the sources record: %s", strerror(ENOMEM));
	if (ret)
		history_sources_release(r);
	return ret;
}

/* The old JSON record, read once after an upgrade; the next save replaces it. */
static int load_legacy(const char *state_dir, struct source_records *r, struct diag *d)
{
	char *path = file_path(state_dir, HISTORY_SOURCES_FILE), *buf = NULL;
	size_t len = 0;
	int ret;

	if (!path)
		return -ENOMEM;
	ret = file_read_private(path, HISTORY_READ_MAX, &buf, &len);
	if (ret == 0)
		ret = history_parse_sources(buf, len, r, d);
	else if (ret != -ENOENT)
		diag_err(d, "cannot read '%s': %s", path, strerror(-ret));
	if (ret == -EBADMSG)
		diag_prefix(d, "'%s': ", path);
	r->legacy = ret == 0;
	free(buf);
	free(path);
	return ret;
}

int history_load_sources(const char *state_dir, struct source_records *r, struct diag *d)
{
	char *path = file_path(state_dir, HISTORY_SOURCES_REC), *buf = NULL;
	size_t len = 0;
	int ret;

	if (!path)
		return -ENOMEM;
	ret = file_read_private(path, HISTORY_READ_MAX, &buf, &len);
	if (ret == -ENOENT)
		ret = load_legacy(state_dir, r, d);
	else if (ret == 0)
		ret = history_unpack_sources(buf, len, r, d);
	else
		diag_err(d, "cannot read '%s': %s", path, strerror(-ret));
	if (ret == -EBADMSG && buf)
		diag_prefix(d, "'%s': ", path);
	free(buf);
	free(path);
	return ret;
}

int history_save_sources(const char *state_dir, const struct source_records *r, struct diag *d)
{
	char *path = file_path(state_dir, HISTORY_SOURCES_REC), *old = NULL, *buf = NULL;
	size_t len = 0;
	int ret = path ? history_pack_sources(r, &buf, &len) : -ENOMEM;

	if (ret == 0)
		ret = file_write_atomic(path, buf, len, 0600);
	if (ret < 0)
		diag_err(d, "cannot write '%s': %s", path ? path : HISTORY_SOURCES_REC,
			 strerror(-ret));
	/* the JSON record would otherwise be read again should sources.rec ever go */
	old = ret == 0 ? file_path(state_dir, HISTORY_SOURCES_FILE) : NULL;
	if (old)
		unlink(old);
	free(old);
	free(buf);
	free(path);
	return ret;
}
