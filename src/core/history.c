// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * history.jsonl and the sources.json reader in the state dir (include/cdnallow/history.h).
 * The history is a record, not firewall state: a line that does not parse is
 * skipped with a warning, never a reason to refuse the rest. It is written
 * only under the state-dir lock and only through a descriptor whose file was
 * checked (regular, ours, not writable by others), never through a symlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "diag.h"
#include "fileio.h"
#include "history.h"
#include "prefix_set.h"

#define SOURCES_VERSION 1

/* Opens path for appending, refusing anything but a regular file of ours. */
static int open_append(const char *path, struct stat *st)
{
	int fd =
		open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || !file_owner_trusted(st)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A crash may have left a last line without its newline: end it, or it eats the next one. */
static int end_torn_line(int fd, const struct stat *st)
{
	char last = '\n';

	if (st->st_size > 0 && pread(fd, &last, 1, st->st_size - 1) != 1)
		return -EIO;
	return last == '\n' ? 0 : write_all(fd, "\n", 1);
}

static int append_at(const char *dir, const char *doc, size_t rotate_at, struct diag *d)
{
	char *path = file_path(dir, HISTORY_FILE), *old = file_path(dir, HISTORY_OLD_FILE);
	size_t len = strlen(doc);
	struct stat st;
	int fd = -1, ret;

	ret = path && old ? 0 : -ENOMEM;
	if (ret == 0)
		ret = fd = open_append(path, &st);
	if (ret >= 0 && st.st_size > 0 && (size_t)st.st_size + len + 1 > rotate_at) {
		close(fd);
		fd = -1;
		ret = rename(path, old) < 0 ? -errno : 0;
		if (ret == 0)
			ret = fd = open_append(path, &st);
	}
	if (ret >= 0)
		ret = end_torn_line(fd, &st);
	if (ret == 0)
		ret = write_all(fd, doc, len);
	if (ret == 0)
		ret = write_all(fd, "\n", 1);
	if (ret == 0 && fdatasync(fd) < 0)
		ret = -errno;
	if (ret < 0)
		diag_err(d, "cannot append to '%s': %s", path ? path : HISTORY_FILE,
			 ret == -EPERM ? "not a regular file owned by root and private to it"
				       : strerror(-ret));
	if (fd >= 0)
		close(fd);
	free(path);
	free(old);
	return ret < 0 ? ret : 0;
}

int history_append(const char *state_dir, const char *doc, size_t rotate_at, struct diag *d)
{
	int ret = dir_ensure(state_dir, 0700);

	if (ret < 0) {
		diag_err(d, "cannot create state dir '%s': %s", state_dir, strerror(-ret));
		return ret;
	}
	return append_at(state_dir, doc, rotate_at, d);
}

static int history_push(struct history *h, struct change *c)
{
	struct change *v = realloc(h->v, (h->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	h->v = v;
	v[h->n++] = *c;
	return 0;
}

static int parse_line(const char *line, size_t len, const char *origin, unsigned lineno,
		      struct history *h, struct diag *d)
{
	struct change c;
	struct diag why;
	int ret = change_init(&c);

	diag_init(&why);
	if (ret == 0)
		ret = change_parse(line, len, &c, &why);
	if (ret == 0)
		ret = history_push(h, &c);
	if (ret == -EBADMSG)
		diag_warn(d, "%s:%u: not a change record, skipped: %s", origin, lineno, why.msg);
	if (ret)
		change_release(&c);
	diag_release(&why);
	return ret == -EBADMSG ? 0 : ret;
}

int history_parse(const char *buf, size_t len, const char *origin, struct history *h,
		  struct diag *d)
{
	unsigned lineno = 0;
	const char *p = buf, *end = buf + len;
	int ret = 0;

	while (p < end && ret == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *s = p;

		lineno++;
		while (s < eol && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		if (s < eol)
			ret = parse_line(p, (size_t)(eol - p), origin, lineno, h, d);
		p = nl ? nl + 1 : end;
	}
	return ret;
}

static int read_one(const char *dir, const char *file, struct history *h, struct diag *d)
{
	char *path = file_path(dir, file), *buf = NULL;
	size_t len = 0;
	int ret;

	if (!path)
		return -ENOMEM;
	ret = file_read_private(path, HISTORY_READ_MAX, &buf, &len);
	if (ret == -ENOENT) {
		ret = 0;
	} else if (ret < 0) {
		diag_err(d, "cannot read '%s': %s", path,
			 ret == -EPERM ? "not a regular file owned by root and private to it"
				       : strerror(-ret));
	} else {
		ret = history_parse(buf, len, path, h, d);
	}
	free(buf);
	free(path);
	return ret;
}

int history_read(const char *state_dir, struct history *h, struct diag *d)
{
	int ret = read_one(state_dir, HISTORY_OLD_FILE, h, d);

	return ret ? ret : read_one(state_dir, HISTORY_FILE, h, d);
}

void history_release(struct history *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		change_release(&h->v[i]);
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

int history_add_source(struct source_records *r, const char *name, const struct prefix_set *set,
		       unsigned long long changed_total)
{
	struct source_record *v = realloc(r->v, (r->n + 1) * sizeof(*v));
	struct source_record *rec;

	if (!v)
		return -ENOMEM;
	r->v = v;
	rec = &v[r->n];
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->name, sizeof(rec->name), "%s", name);
	rec->changed_total = changed_total;
	rec->set = prefix_set_new();
	if (!rec->set || (set && prefix_set_copy(rec->set, set) < 0)) {
		prefix_set_free(rec->set);
		return -ENOMEM;
	}
	r->n++;
	return 0;
}

static int append(struct source_records *r, const char *name, struct prefix_set *set,
		  unsigned long long changed_total, bool borrowed)
{
	struct source_record *v = realloc(r->v, (r->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	r->v = v;
	memset(&v[r->n], 0, sizeof(v[r->n]));
	snprintf(v[r->n].name, sizeof(v[r->n].name), "%s", name);
	v[r->n].changed_total = changed_total;
	v[r->n].set = set;
	v[r->n].borrowed = borrowed;
	r->n++;
	return 0;
}

int history_adopt_source(struct source_records *r, const char *name, struct prefix_set *set,
			 unsigned long long changed_total)
{
	int ret = append(r, name, set, changed_total, false);

	if (ret < 0)
		prefix_set_free(set);
	return ret;
}

int history_borrow_source(struct source_records *r, const char *name, const struct prefix_set *set,
			  unsigned long long changed_total)
{
	/* never written through: records are only read, packed and released */
	return append(r, name, (struct prefix_set *)set, changed_total, true);
}

const struct source_record *history_find_source(const struct source_records *r, const char *name)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (!strcmp(r->v[i].name, name))
			return &r->v[i];
	return NULL;
}

void history_sources_release(struct source_records *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (!r->v[i].borrowed)
			prefix_set_free(r->v[i].set);
	free(r->v);
	prefix_set_free(r->applied);
	r->v = NULL;
	r->n = 0;
	r->legacy = false;
	r->applied = NULL;
}

static int parse_record(json_t *o, size_t i, struct source_records *r, struct diag *d)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	json_t *total = json_object_get(o, "changed_total");
	json_t *list = json_object_get(o, "prefixes"), *v;
	struct prefix_set *set = prefix_set_new();
	size_t k;
	int ret = set ? 0 : -ENOMEM;

	if (ret == 0 &&
	    (!name || !*name || strlen(name) >= CHANGE_NAME_MAX || !json_is_integer(total) ||
	     json_integer_value(total) < 0 || !json_is_array(list))) {
		diag_err(d, "sources[%zu]: needs name, changed_total >= 0 and prefixes", i);
		ret = -EBADMSG;
	}
	json_array_foreach (ret ? NULL : list, k, v) {
		const char *s = json_string_value(v);
		struct prefix p;

		if (!s || prefix_parse(s, strlen(s), &p, NULL) < 0) {
			diag_err(d, "sources[%zu].prefixes[%zu] is not a prefix", i, k);
			ret = -EBADMSG;
			break;
		}
		if (prefix_set_add(set, &p) < 0) {
			ret = -ENOMEM;
			break;
		}
	}
	if (ret == 0)
		ret = prefix_set_aggregate(set);
	if (ret == 0)
		ret = history_add_source(r, name, set,
					 (unsigned long long)json_integer_value(total));
	prefix_set_free(set);
	return ret;
}

int history_parse_sources(const char *buf, size_t len, struct source_records *r, struct diag *d)
{
	json_error_t err;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	json_t *arr = json_object_get(root, "sources"), *v;
	size_t i;
	int ret = 0;

	if (!json_is_object(root) ||
	    json_integer_value(json_object_get(root, "version")) != SOURCES_VERSION ||
	    !json_is_array(arr)) {
		diag_err(d, "not a version %d sources record", SOURCES_VERSION);
		ret = -EBADMSG;
	}
	json_array_foreach (ret ? NULL : arr, i, v) {
		ret = parse_record(v, i, r, d);
		if (ret)
			break;
	}
	json_decref(root);
	if (ret)
		history_sources_release(r);
	return ret;
}
