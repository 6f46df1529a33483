// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sources.rec, the binary form of the per-source record (include/cdnallow/history.h):
 * a header (magic with version, payload length, checksum64 of what follows it,
 * record count, the applied.rec checksum the references mean or 0), then per
 * source its name, changed_total, a kind byte and either its aggregated list
 * in prefix_pack records or nothing: "the applied set", read from applied.rec
 * (the usual single source: no second copy of 100k prefixes). Version 2 (a
 * copy of every list, FNV-1a) is read once after an upgrade and rewritten. It replaced
 * sources.json, whose JSON parse and render of every prefix cost most of a sync at 100k;
 * sources.json is read once, when no sources.rec exists, and removed by the first write. A damaged
 * record is reported as such, never read as a shorter list.
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
#include "state.h"
#include "strbuf.h"

#define REC_MAGIC "CDNASRC3"
#define REC_MAGIC_V2 "CDNASRC2" /* before 2026-12: read once, rewritten by the next save */
#define REC_HEADER 36 /* magic 8, payload length 8, checksum 8, records 4, applied checksum 8 */
#define V2_HEADER 28  /* magic 8, payload length 8, FNV-1a 8, records 4 */
#define KIND_LIST 0
#define KIND_APPLIED 1 /* the list is applied.rec's set: no copy */

/* True when rec's list is the applied set: it is stored as a reference. */
static bool is_applied(const struct source_record *rec, const struct prefix_set *applied)
{
	return applied && (rec->set == applied || prefix_set_equal(rec->set, applied));
}

static void pack_record(struct strbuf *sb, const struct source_record *rec,
			const struct prefix_set *applied)
{
	size_t nlen = strnlen(rec->name, CHANGE_NAME_MAX - 1);
	bool ref = is_applied(rec, applied);
	uint8_t b[13];

	pack_put_le(b, nlen, 2);
	strbuf_add(sb, b, 2);
	strbuf_add(sb, rec->name, nlen);
	pack_put_le(b, rec->changed_total, 8);
	b[8] = ref ? KIND_APPLIED : KIND_LIST;
	pack_put_le(b + 9, ref ? 0 : rec->set->n, 4);
	strbuf_add(sb, b, ref ? 9 : 13);
	if (!ref)
		prefix_pack(sb, rec->set);
}

int history_pack_sources(const struct source_records *r, const struct prefix_set *applied,
			 uint64_t applied_sum, char **out, size_t *len)
{
	struct strbuf sb = { 0 };
	bool refs = false;
	uint8_t *h;
	size_t n;

	*out = NULL;
	strbuf_add(&sb, REC_MAGIC, 8);
	strbuf_add(&sb, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", REC_HEADER - 8);
	for (size_t i = 0; i < r->n; i++) {
		pack_record(&sb, &r->v[i], applied);
		refs = refs || is_applied(&r->v[i], applied);
	}
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
	pack_put_le(h + 24, r->n, 4);
	/* 0: no record refers to applied.rec, the loader does not read it */
	pack_put_le(h + 28, refs ? applied_sum : 0, 8);
	pack_put_le(h + 16, checksum64(h + 24, sb.len - 24), 8);
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

/* A record's list: its own records, or (version 3) a borrow of the applied set. */
static int unpack_list(const uint8_t **p, const uint8_t *end, bool v3,
		       const struct prefix_set *applied, struct prefix_set **out)
{
	size_t count;
	int kind = KIND_LIST, ret;

	*out = NULL;
	if (v3 && end - *p < 1)
		return -EBADMSG;
	if (v3)
		kind = *(*p)++;
	if (kind == KIND_APPLIED)
		return applied ? 0 : -EBADMSG;
	if (kind != KIND_LIST || end - *p < 4)
		return -EBADMSG;
	count = (size_t)pack_get_le(*p, 4);
	*p += 4;
	*out = prefix_set_new();
	if (!*out)
		return -ENOMEM;
	ret = prefix_unpack(p, end, count, *out);
	if (ret == 0 && !is_aggregated(*out))
		ret = -EBADMSG;
	if (ret < 0) {
		prefix_set_free(*out);
		*out = NULL;
	}
	return ret;
}

static int unpack_record(const uint8_t **p, const uint8_t *end, bool v3,
			 const struct prefix_set *applied, struct source_records *r)
{
	char name[CHANGE_NAME_MAX];
	struct prefix_set *set = NULL;
	unsigned long long total;
	size_t nlen;
	int ret;

	if (end - *p < 2)
		return -EBADMSG;
	nlen = (size_t)pack_get_le(*p, 2);
	if (nlen == 0 || nlen >= CHANGE_NAME_MAX || (size_t)(end - *p - 2) < nlen + 8)
		return -EBADMSG;
	memcpy(name, *p + 2, nlen);
	name[nlen] = '\0';
	if (strlen(name) != nlen)
		return -EBADMSG;
	total = pack_get_le(*p + 2 + nlen, 8);
	*p += 10 + nlen;
	ret = unpack_list(p, end, v3, applied, &set);
	if (ret == 0 && !set)
		return history_borrow_source(r, name, applied, total);
	return ret == 0 ? history_adopt_source(r, name, set, total) : ret;
}

uint64_t history_sources_ref(const void *buf, size_t len)
{
	const uint8_t *h = buf;

	return len >= REC_HEADER && !memcmp(h, REC_MAGIC, 8) ? pack_get_le(h + 28, 8) : 0;
}

/* The header of either version: its length and checksum; the first record's offset. */
static int check_header(const uint8_t *h, size_t len, bool *v3, size_t *hlen)
{
	*v3 = len >= REC_HEADER && !memcmp(h, REC_MAGIC, 8);
	*hlen = *v3 ? REC_HEADER : V2_HEADER;
	if (len < *hlen || (!*v3 && memcmp(h, REC_MAGIC_V2, 8)) ||
	    pack_get_le(h + 8, 8) != len - *hlen)
		return -EBADMSG;
	if (*v3)
		return pack_get_le(h + 16, 8) == checksum64(h + 24, len - 24) ? 0 : -EBADMSG;
	return pack_get_le(h + 16, 8) == fnv1a64(h + V2_HEADER, len - V2_HEADER) ? 0 : -EBADMSG;
}

int history_unpack_sources(const void *buf, size_t len, const struct prefix_set *applied,
			   struct source_records *r, struct diag *d)
{
	const uint8_t *h = buf, *p, *end;
	size_t count = 0, hlen;
	bool v3;
	int ret = 0;

	if (check_header(h, len, &v3, &hlen) < 0) {
		diag_err(d, "not a whole version 2 or 3 sources record (header or checksum)");
		return -EBADMSG;
	}
	count = (size_t)pack_get_le(h + 24, 4);
	p = h + hlen;
	end = h + len;
	for (size_t i = 0; i < count && ret == 0; i++) {
		ret = unpack_record(&p, end, v3, applied, r);
		if (ret == -EBADMSG)
			diag_err(d, "sources record %zu is malformed", i);
	}
	if (ret == 0 && p != end) {
		diag_err(d, "%zu bytes after the last sources record", (size_t)(end - p));
		ret = -EBADMSG;
	}
	if (ret == -ENOMEM)
		diag_err(d, "reading the sources record: %s", strerror(ENOMEM));
	/* version 2: the next save writes version 3 */
	r->legacy = ret == 0 && !v3;
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

/*
 * The applied set the records of a version 3 image refer to: applied.rec, when
 * it still holds the set with the checksum the image names. The engine reads
 * sources.rec before it replaces applied.rec; a crash between the two writes
 * leaves a reference to a set that is gone: -ESTALE, never another list.
 */
static int load_referred(const char *state_dir, const char *buf, size_t len,
			 struct prefix_set **known, uint64_t known_sum, struct source_records *r,
			 struct diag *d)
{
	uint64_t sum = history_sources_ref(buf, len);
	int ret;

	if (!sum)
		return 0;
	if (known && *known && sum == known_sum) {
		r->applied = *known;
		*known = NULL;
		return 0;
	}
	r->applied = prefix_set_new();
	if (!r->applied)
		return -ENOMEM;
	ret = state_load_applied_as(state_dir, sum, STATE_ANY_COUNT, r->applied);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		diag_err(d, "it refers to an applied set (%s) that is no longer in %s",
			 ret == -EBADMSG ? "damaged" : "replaced", STATE_APPLIED_FILE);
		return -ESTALE;
	}
	return 0;
}

int history_load_sources(const char *state_dir, struct source_records *r, struct diag *d)
{
	return history_load_sources_known(state_dir, NULL, 0, r, d);
}

int history_load_sources_known(const char *state_dir, struct prefix_set **known, uint64_t known_sum,
			       struct source_records *r, struct diag *d)
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
		ret = load_referred(state_dir, buf, len, known, known_sum, r, d);
	else
		diag_err(d, "cannot read '%s': %s", path, strerror(-ret));
	if (ret == 0 && buf)
		ret = history_unpack_sources(buf, len, r->applied, r, d);
	if ((ret == -EBADMSG || ret == -ESTALE) && buf)
		diag_prefix(d, "'%s': ", path);
	if (ret < 0)
		history_sources_release(r);
	free(buf);
	free(path);
	return ret;
}

int history_save_sources(const char *state_dir, const struct source_records *r,
			 const struct prefix_set *applied, uint64_t applied_sum, struct diag *d)
{
	char *path = file_path(state_dir, HISTORY_SOURCES_REC), *old = NULL, *buf = NULL;
	size_t len = 0;
	int ret = path ? history_pack_sources(r, applied, applied_sum, &buf, &len) : -ENOMEM;

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
