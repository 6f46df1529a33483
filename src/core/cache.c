// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The per-endpoint cache of last good bodies under STATE_DIR/cache/: one body
 * file and one small JSON metadata file (ETag, Last-Modified, fetch time,
 * length, checksum64 of the body ("sum64"; "fnv1a64" in entries of older
 * versions), "format": "prefixes" when the body is the
 * list the downloader parsed rather than the payload itself) per source and
 * endpoint index. A cache entry
 * is the fallback when a fresh list is refused, so it must never be trusted
 * when torn: any mismatch between metadata and body reads as "no entry" with a
 * warning, never as a shorter list.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cache.h"
#include "hash.h"
#include "fileio.h"
#include "diag.h"

#define CACHE_DIR "cache"
#define CACHE_META_MAX (64 * 1024)
/* Names longer than this are cut; the hash keeps them apart. */
#define CACHE_NAME_MAX 48

/*
 * Source names come from the config and the command line: "-s ../x" must not
 * escape the cache dir, and "a/b" and "a_b" must not share files.
 */
static int entry_paths(const char *state_dir, const char *source, unsigned idx, char **body,
		       char **meta)
{
	char safe[CACHE_NAME_MAX + 1];
	size_t n = 0;
	uint64_t h = fnv1a64(source, strlen(source));

	for (const char *s = source; *s && n < CACHE_NAME_MAX; s++) {
		char ch = *s;
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';

		safe[n++] = ok ? ch : '_';
	}
	safe[n] = '\0';
	if (safe[0] == '.')
		safe[0] = '_';
	*body = NULL;
	*meta = NULL;
	if (asprintf(body, "%s/" CACHE_DIR "/%s-%016" PRIx64 ".%u.body", state_dir, safe, h, idx) <
	    0) {
		*body = NULL;
		return -ENOMEM;
	}
	if (asprintf(meta, "%s/" CACHE_DIR "/%s-%016" PRIx64 ".%u.json", state_dir, safe, h, idx) <
	    0) {
		free(*body);
		*body = NULL;
		*meta = NULL;
		return -ENOMEM;
	}
	return 0;
}

void cache_entry_release(struct cache_entry *e)
{
	if (!e)
		return;
	free(e->body);
	free(e->etag);
	free(e->last_modified);
	memset(e, 0, sizeof(*e));
}

/* Reads and checks the metadata; NULL with why[] filled when it is unusable. */
static json_t *meta_read(const char *meta_path, const char *source, unsigned idx, int *err,
			 char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *root = NULL, *v;
	size_t len = 0;
	char *buf = NULL;

	*err = file_read_private(meta_path, CACHE_META_MAX, &buf, &len);
	if (*err < 0) {
		snprintf(why, whylen, "metadata: %s", strerror(-*err));
		return NULL;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!root) {
		snprintf(why, whylen, "metadata is not JSON: %s", jerr.text);
		goto bad;
	}
	if (!json_is_object(root)) {
		snprintf(why, whylen, "metadata is not a JSON object");
		goto bad;
	}
	v = json_object_get(root, "source");
	if (!json_is_string(v) || strcmp(json_string_value(v), source) != 0) {
		snprintf(why, whylen, "metadata names another source");
		goto bad;
	}
	v = json_object_get(root, "index");
	if (!json_is_integer(v) || json_integer_value(v) != (json_int_t)idx) {
		snprintf(why, whylen, "metadata names another endpoint");
		goto bad;
	}
	v = json_object_get(root, "length");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(why, whylen, "metadata has no valid length");
		goto bad;
	}
	if (!json_is_integer(json_object_get(root, "fetched"))) {
		snprintf(why, whylen, "metadata has no valid fetch time");
		goto bad;
	}
	v = json_object_get(root, "sum64");
	if (v ? !json_is_string(v) : !json_is_string(json_object_get(root, "fnv1a64"))) {
		snprintf(why, whylen, "metadata has no checksum");
		goto bad;
	}
	v = json_object_get(root, "etag");
	if (v && !json_is_string(v) && !json_is_null(v)) {
		snprintf(why, whylen, "metadata has a bad etag");
		goto bad;
	}
	v = json_object_get(root, "last_modified");
	if (v && !json_is_string(v) && !json_is_null(v)) {
		snprintf(why, whylen, "metadata has a bad last_modified");
		goto bad;
	}
	v = json_object_get(root, "format");
	if (v && !(json_is_string(v) && !strcmp(json_string_value(v), "prefixes"))) {
		snprintf(why, whylen, "metadata has an unknown format");
		goto bad;
	}
	*err = 0;
	return root;
bad:
	json_decref(root);
	*err = -EBADMSG;
	return NULL;
}

static int dup_opt_string(json_t *root, const char *key, char **out)
{
	json_t *v = json_object_get(root, key);

	*out = NULL;
	if (!json_is_string(v))
		return 0;
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

int cache_load(const char *state_dir, const char *source, unsigned idx, struct cache_entry *e,
	       struct diag *d)
{
	char *body_path = NULL, *meta_path = NULL, *body = NULL;
	char why[256] = "", sum[17];
	json_t *meta = NULL, *stored;
	size_t want, len = 0;
	int ret;

	memset(e, 0, sizeof(*e));
	ret = entry_paths(state_dir, source, idx, &body_path, &meta_path);
	if (ret < 0)
		return ret;
	meta = meta_read(meta_path, source, idx, &ret, why, sizeof(why));
	if (!meta) {
		/* No metadata at all is simply an empty cache. */
		if (ret == -ENOENT)
			goto out;
		if (ret == -ENOMEM)
			goto out;
		/* unreadable is not corrupt: say what it is (not root: the caller says once) */
		if (ret == -EACCES || ret == -EPERM) {
			diag_warn(d, "cache entry for '%s' cannot be read (%s), ignoring it",
				  source, why);
			ret = -ENOENT;
			goto out;
		}
		goto corrupt;
	}
	want = (size_t)json_integer_value(json_object_get(meta, "length"));
	ret = file_read_private(body_path, want, &body, &len);
	if (ret == -ENOMEM)
		goto out;
	if (ret == -EFBIG) {
		snprintf(why, sizeof(why), "body longer than the recorded %zu bytes", want);
		goto corrupt;
	}
	if (ret < 0) {
		snprintf(why, sizeof(why), "body: %s", strerror(-ret));
		goto corrupt;
	}
	if (len != want) {
		snprintf(why, sizeof(why), "body has %zu bytes, metadata says %zu", len, want);
		goto corrupt;
	}
	/* "sum64" (checksum64) since 2026-12; entries written before carry "fnv1a64" */
	stored = json_object_get(meta, "sum64");
	if (stored)
		snprintf(sum, sizeof(sum), "%016" PRIx64, checksum64(body, len));
	else
		snprintf(sum, sizeof(sum), "%016" PRIx64, fnv1a64(body, len));
	if (!stored)
		stored = json_object_get(meta, "fnv1a64");
	if (strcmp(sum, json_string_value(stored)) != 0) {
		snprintf(why, sizeof(why), "body checksum mismatch");
		goto corrupt;
	}
	e->body = body;
	e->len = len;
	body = NULL;
	e->fetched = (time_t)json_integer_value(json_object_get(meta, "fetched"));
	e->parsed = json_object_get(meta, "format") != NULL;
	ret = dup_opt_string(meta, "etag", &e->etag);
	if (ret == 0)
		ret = dup_opt_string(meta, "last_modified", &e->last_modified);
	if (ret < 0)
		cache_entry_release(e);
	goto out;
corrupt:
	diag_warn(d, "cache entry for '%s' is corrupt (%s), ignoring it", source, why);
	ret = -ENOENT;
out:
	json_decref(meta);
	free(body);
	free(body_path);
	free(meta_path);
	return ret;
}

static int meta_write(const char *meta_path, json_t *meta, struct diag *d)
{
	char *text = json_dumps(meta, JSON_INDENT(1) | JSON_SORT_KEYS);
	int ret;

	if (!text)
		return -ENOMEM;
	ret = file_replace(meta_path, text, strlen(text), 0600);
	if (ret < 0)
		diag_err(d, "cannot write '%s': %s", meta_path, strerror(-ret));
	free(text);
	return ret;
}

static int cache_dir(const char *state_dir, struct diag *d)
{
	char *dir = NULL;
	int ret;

	if (asprintf(&dir, "%s/" CACHE_DIR, state_dir) < 0)
		return -ENOMEM;
	ret = dir_ensure(state_dir, 0700);
	if (ret == 0)
		ret = dir_ensure(dir, 0700);
	if (ret < 0)
		diag_err(d, "cannot create cache dir '%s': %s", dir, strerror(-ret));
	free(dir);
	return ret;
}

int cache_store(const char *state_dir, const char *source, unsigned idx,
		const struct cache_entry *e, struct diag *d)
{
	char *body_path = NULL, *meta_path = NULL;
	char sum[17];
	json_t *meta = NULL;
	int ret;

	ret = entry_paths(state_dir, source, idx, &body_path, &meta_path);
	if (ret < 0)
		return ret;
	ret = cache_dir(state_dir, d);
	if (ret < 0)
		goto out;
	snprintf(sum, sizeof(sum), "%016" PRIx64, checksum64(e->body, e->len));
	meta = json_pack("{s:i, s:s, s:I, s:s?, s:s?, s:I, s:I, s:s}", "version", 1, "source",
			 source, "index", (json_int_t)idx, "etag", e->etag, "last_modified",
			 e->last_modified, "fetched", (json_int_t)e->fetched, "length",
			 (json_int_t)e->len, "sum64", sum);
	if (!meta || (e->parsed && json_object_set_new(meta, "format", json_string("prefixes")))) {
		ret = -ENOMEM;
		goto out;
	}
	/*
	 * Body first: a crash between the two renames leaves a new body with the
	 * old metadata, which the checksum turns into "no entry", never into a
	 * mix the loader would believe.
	 */
	ret = file_replace(body_path, e->body ? e->body : "", e->len, 0600);
	if (ret < 0) {
		diag_err(d, "cannot write '%s': %s", body_path, strerror(-ret));
		goto out;
	}
	ret = meta_write(meta_path, meta, d);
out:
	json_decref(meta);
	free(body_path);
	free(meta_path);
	return ret;
}

int cache_remove(const char *state_dir, const char *source, unsigned idx)
{
	char *body_path = NULL, *meta_path = NULL;
	int ret = entry_paths(state_dir, source, idx, &body_path, &meta_path);

	if (ret == 0 && (unlink(meta_path) < 0 && errno != ENOENT))
		ret = -errno;
	if (ret == 0 && (unlink(body_path) < 0 && errno != ENOENT))
		ret = -errno;
	free(body_path);
	free(meta_path);
	return ret;
}

int cache_touch(const char *state_dir, const char *source, unsigned idx, time_t when,
		struct diag *d)
{
	char *body_path = NULL, *meta_path = NULL;
	char why[256] = "";
	json_t *meta = NULL;
	int ret;

	ret = entry_paths(state_dir, source, idx, &body_path, &meta_path);
	if (ret < 0)
		return ret;
	meta = meta_read(meta_path, source, idx, &ret, why, sizeof(why));
	if (!meta) {
		if (ret != -ENOENT && ret != -ENOMEM) {
			diag_warn(d, "cache entry for '%s' %s (%s), ignoring it", source,
				  ret == -EACCES || ret == -EPERM ? "cannot be read" : "is corrupt",
				  why);
			ret = -ENOENT;
		}
		goto out;
	}
	ret = json_object_set_new(meta, "fetched", json_integer((json_int_t)when));
	if (ret < 0) {
		ret = -ENOMEM;
		goto out;
	}
	ret = meta_write(meta_path, meta, d);
out:
	json_decref(meta);
	free(body_path);
	free(meta_path);
	return ret;
}
