// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state dir's record of the last run: state.json (times, result, counts,
 * per-source freshness) and the run lock (the set last applied is applied.c's). Files are
 * replaced atomically and read back strictly: a damaged file is reported as
 * such and never silently read as a smaller set.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "fileio.h"
#include "diag.h"
#include "guard.h"
#include "prefix.h"
#include "prefix_set.h"
#include "state.h"

#define STATE_FILE "state.json"
#define LOCK_FILE "lock"
#define STATE_VERSION 1
#define STATE_JSON_MAX (1024 * 1024)

void state_release(struct state *st)
{
	if (!st)
		return;
	free(st->backend);
	free(st->mode);
	free(st->ports);
	for (size_t i = 0; i < st->nsources; i++) {
		free(st->sources[i].name);
		free(st->sources[i].status);
	}
	memset(st, 0, sizeof(*st));
}

size_t state_source_count(const struct state *st, const char *name)
{
	for (size_t i = 0; i < st->nsources; i++)
		if (st->sources[i].name && strcmp(st->sources[i].name, name) == 0)
			return st->sources[i].count;
	return 0;
}

void state_source_history(const struct state *st, const char *name, struct guard_history *h)
{
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; st && i < st->nsources; i++) {
		const struct state_source *s = &st->sources[i];

		if (!s->name || strcmp(s->name, name))
			continue;
		if (!s->has_family) {
			h->legacy_total = s->count;
			return;
		}
		h->known = true;
		for (int f = 0; f < 2; f++) {
			h->count[f] = s->fcount[f];
			h->addresses[f] = s->addresses[f];
		}
		return;
	}
}

/* The optional per-family record {"count": N, "addresses": X} of one source. */
static void parse_family(json_t *o, struct state_source *s)
{
	static const char *const keys[2] = { "ipv4", "ipv6" };
	double a[2];
	json_int_t c[2];

	for (int f = 0; f < 2; f++) {
		json_t *fam = json_object_get(o, keys[f]);
		json_t *cv = json_object_get(fam, "count"), *av = json_object_get(fam, "addresses");

		if (!json_is_integer(cv) || json_integer_value(cv) < 0 || !json_is_number(av) ||
		    json_number_value(av) < 0)
			return;
		c[f] = json_integer_value(cv);
		a[f] = json_number_value(av);
	}
	for (int f = 0; f < 2; f++) {
		s->fcount[f] = (size_t)c[f];
		s->addresses[f] = a[f];
	}
	s->has_family = true;
}

static int get_int(json_t *obj, const char *key, json_int_t min, json_int_t *out, char *why,
		   size_t whylen)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < min) {
		snprintf(why, whylen, "'%s' is missing or not a valid number", key);
		return -EBADMSG;
	}
	*out = json_integer_value(v);
	return 0;
}

static int get_str(json_t *obj, const char *key, char **out, char *why, size_t whylen)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v)) {
		snprintf(why, whylen, "'%s' is missing or not a string", key);
		return -EBADMSG;
	}
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

static int parse_sources(json_t *arr, struct state *st, char *why, size_t whylen)
{
	size_t i;
	json_t *o;
	int ret;

	if (!json_is_array(arr)) {
		snprintf(why, whylen, "'sources' is missing or not an array");
		return -EBADMSG;
	}
	if (json_array_size(arr) > STATE_MAX_SOURCES) {
		snprintf(why, whylen, "more than %d sources", STATE_MAX_SOURCES);
		return -EBADMSG;
	}
	json_array_foreach (arr, i, o) {
		struct state_source *s = &st->sources[i];
		json_int_t n;

		if (!json_is_object(o)) {
			snprintf(why, whylen, "sources[%zu] is not an object", i);
			return -EBADMSG;
		}
		st->nsources = i + 1;
		ret = get_str(o, "name", &s->name, why, whylen);
		if (ret == 0 && !s->name) {
			snprintf(why, whylen, "sources[%zu] has no name", i);
			ret = -EBADMSG;
		}
		if (ret == 0)
			ret = get_str(o, "status", &s->status, why, whylen);
		if (ret == 0)
			ret = get_int(o, "count", 0, &n, why, whylen);
		if (ret < 0)
			return ret;
		s->count = (size_t)n;
		ret = get_int(o, "data_time", 0, &n, why, whylen);
		if (ret < 0)
			return ret;
		s->data_time = (time_t)n;
		parse_family(o, s);
	}
	return 0;
}

static int parse_state(json_t *root, struct state *st, char *why, size_t whylen)
{
	json_int_t v;
	json_t *count;
	int ret;

	if (!json_is_object(root)) {
		snprintf(why, whylen, "not a JSON object");
		return -EBADMSG;
	}
	ret = get_int(root, "version", 1, &v, why, whylen);
	if (ret < 0)
		return ret;
	if (v != STATE_VERSION) {
		snprintf(why, whylen, "version %lld is not %d", (long long)v, STATE_VERSION);
		return -EBADMSG;
	}
	ret = get_int(root, "last_run", 0, &v, why, whylen);
	if (ret < 0)
		return ret;
	st->last_run = (time_t)v;
	ret = get_int(root, "last_success", 0, &v, why, whylen);
	if (ret < 0)
		return ret;
	st->last_success = (time_t)v;
	ret = get_int(root, "result", -4096, &v, why, whylen);
	if (ret < 0)
		return ret;
	/* 0 or a negative errno: a larger value would not survive the cast and a save */
	if (v > 0) {
		snprintf(why, whylen, "'result' is not 0 or a negative errno");
		return -EBADMSG;
	}
	st->result = (int)v;
	ret = get_str(root, "backend", &st->backend, why, whylen);
	if (ret == 0)
		ret = get_str(root, "mode", &st->mode, why, whylen);
	/* ports and flushed came later: absent in older files */
	if (ret == 0 && json_object_get(root, "ports"))
		ret = get_str(root, "ports", &st->ports, why, whylen);
	if (ret == 0 && json_object_get(root, "flushed"))
		ret = get_int(root, "flushed", 0, &v, why, whylen);
	if (ret < 0)
		return ret;
	st->flushed = json_object_get(root, "flushed") ? (time_t)v : 0;
	count = json_object_get(root, "count");
	if (!json_is_object(count)) {
		snprintf(why, whylen, "'count' is missing or not an object");
		return -EBADMSG;
	}
	ret = get_int(count, "ipv4", 0, &v, why, whylen);
	if (ret < 0)
		return ret;
	st->count[0] = (size_t)v;
	ret = get_int(count, "ipv6", 0, &v, why, whylen);
	if (ret < 0)
		return ret;
	st->count[1] = (size_t)v;
	return parse_sources(json_object_get(root, "sources"), st, why, whylen);
}

int state_load(const char *state_dir, struct state *st, struct diag *d)
{
	char why[256] = "";
	char *path = NULL, *buf = NULL;
	json_error_t jerr;
	json_t *root = NULL;
	size_t len = 0;
	int ret;

	memset(st, 0, sizeof(*st));
	path = file_path(state_dir, STATE_FILE);
	if (!path)
		return -ENOMEM;
	ret = file_read_private(path, STATE_JSON_MAX, &buf, &len);
	if (ret == -ENOENT)
		goto out;
	if (ret == -EFBIG) {
		snprintf(why, sizeof(why), "larger than %d bytes", STATE_JSON_MAX);
		ret = -EBADMSG;
		goto bad;
	}
	if (ret < 0) {
		diag_err(d, "cannot read '%s': %s", path, strerror(-ret));
		goto out;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(why, sizeof(why), "line %d: %s", jerr.line, jerr.text);
		ret = -EBADMSG;
		goto bad;
	}
	ret = parse_state(root, st, why, sizeof(why));
	if (ret == 0)
		goto out;
bad:
	state_release(st);
	if (ret == -EBADMSG)
		diag_err(d, "state file '%s' is corrupt (%s)", path, why);
out:
	json_decref(root);
	free(buf);
	free(path);
	return ret;
}

static json_t *state_to_json(const struct state *st)
{
	json_t *root, *arr;

	root = json_pack("{s:i, s:I, s:I, s:i, s:s?, s:s?, s:{s:I, s:I}}", "version", STATE_VERSION,
			 "last_run", (json_int_t)st->last_run, "last_success",
			 (json_int_t)st->last_success, "result", st->result, "backend", st->backend,
			 "mode", st->mode, "count", "ipv4", (json_int_t)st->count[0], "ipv6",
			 (json_int_t)st->count[1]);
	if (!root)
		return NULL;
	if (st->ports && json_object_set_new(root, "ports", json_string(st->ports)) < 0)
		goto fail;
	if (st->flushed &&
	    json_object_set_new(root, "flushed", json_integer((json_int_t)st->flushed)) < 0)
		goto fail;
	arr = json_array();
	if (!arr || json_object_set_new(root, "sources", arr) < 0)
		goto fail;
	for (size_t i = 0; i < st->nsources && i < STATE_MAX_SOURCES; i++) {
		const struct state_source *s = &st->sources[i];
		json_t *o = json_pack("{s:s, s:s?, s:I, s:I}", "name", s->name ? s->name : "",
				      "status", s->status, "count", (json_int_t)s->count,
				      "data_time", (json_int_t)s->data_time);

		if (o && s->has_family &&
		    json_object_set_new(o, "ipv4",
					json_pack("{s:I, s:f}", "count", (json_int_t)s->fcount[0],
						  "addresses", s->addresses[0])) < 0)
			goto fail_o;
		if (o && s->has_family &&
		    json_object_set_new(o, "ipv6",
					json_pack("{s:I, s:f}", "count", (json_int_t)s->fcount[1],
						  "addresses", s->addresses[1])) < 0)
			goto fail_o;

		if (!o || json_array_append_new(arr, o) < 0)
			goto fail;
		continue;
	fail_o:
		json_decref(o);
		goto fail;
	}
	return root;
fail:
	json_decref(root);
	return NULL;
}

/* Writes one file of the state dir, creating the dir (0700) on first use. */
static int write_state_file(const char *state_dir, const char *file, const char *buf, size_t len,
			    struct diag *d)
{
	char *path = file_path(state_dir, file);
	int ret;

	if (!path)
		return -ENOMEM;
	ret = dir_ensure(state_dir, 0700);
	if (ret < 0) {
		diag_err(d, "cannot create state dir '%s': %s", state_dir, strerror(-ret));
		goto out;
	}
	/* the directory entry is made durable by the caller (state_sync, once for all) */
	ret = file_write_synced(path, buf, len, 0600);
	if (ret < 0)
		diag_err(d, "cannot write '%s': %s", path, strerror(-ret));
out:
	free(path);
	return ret;
}

int state_save(const char *state_dir, const struct state *st, struct diag *d)
{
	json_t *root = state_to_json(st);
	char *text = NULL;
	int ret;

	if (!root)
		return -ENOMEM;
	text = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (!text)
		return -ENOMEM;
	ret = write_state_file(state_dir, STATE_FILE, text, strlen(text), d);
	free(text);
	return ret;
}

static void holder_pid(int fd, char *out, size_t outlen)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (pid > 0 && end != buf)
		snprintf(out, outlen, " (pid %ld)", pid);
}

int state_dir_check(const char *state_dir, struct diag *d)
{
	struct stat st;

	if (!state_dir)
		return 0;
	if (stat(state_dir, &st) < 0)
		return errno == ENOENT ? 0 : -errno; /* created 0700 by the first sync */
	if (!S_ISDIR(st.st_mode)) {
		diag_err(d, "state dir '%s' is not a directory", state_dir);
		return -ENOTDIR;
	}
	/*
	 * Whoever can write here can forge cached lists that --offline applies
	 * (the checksums only catch accidents): root's, and root's alone.
	 */
	if (!file_owner_trusted(&st)) {
		diag_err(d,
			 "state dir '%s' is owned by uid %u with mode %04o: only its owner, root, "
			 "may write there; fix: chown root:root '%s' && chmod 0700 '%s'",
			 state_dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), state_dir,
			 state_dir);
		return -EPERM;
	}
	return 0;
}

int state_lock(const char *state_dir, unsigned wait_s, int *fd, struct diag *d)
{
	const struct timespec pause = { 0, 100 * 1000 * 1000 };
	struct timespec start, now;
	char *path = NULL, pidbuf[32], holder[48];
	int lfd = -1, ret, n;
	struct stat st;

	*fd = -1;
	path = file_path(state_dir, LOCK_FILE);
	if (!path)
		return -ENOMEM;
	ret = dir_ensure(state_dir, 0700);
	if (ret < 0) {
		diag_err(d, "cannot create state dir '%s': %s", state_dir, strerror(-ret));
		goto out;
	}
	ret = state_dir_check(state_dir, d);
	if (ret < 0)
		goto out;
	/* O_NONBLOCK: a FIFO in its place must fail the check below, not hang the open */
	lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (lfd < 0) {
		ret = -errno;
		diag_err(d, "cannot open lock file '%s': %s", path, strerror(-ret));
		goto out;
	}
	if (fstat(lfd, &st) < 0 || !S_ISREG(st.st_mode) || !file_owner_trusted(&st)) {
		ret = -EPERM;
		diag_err(d,
			 "lock file '%s' is not a regular file of root's that only root can write; "
			 "remove it",
			 path);
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(lfd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			ret = -errno;
			diag_err(d, "cannot lock '%s': %s", path, strerror(-ret));
			goto out;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)wait_s) {
			holder_pid(lfd, holder, sizeof(holder));
			diag_err(d, "another cdnallow run holds the lock '%s'%s", path, holder);
			ret = -EWOULDBLOCK;
			goto out;
		}
		nanosleep(&pause, NULL);
	}
	/* Only a hint for the message above; the flock is what excludes. */
	n = snprintf(pidbuf, sizeof(pidbuf), "%ld\n", (long)getpid());
	if (ftruncate(lfd, 0) == 0 && pwrite(lfd, pidbuf, (size_t)n, 0) < 0)
		diag_warn(d, "cannot record pid in '%s': %s", path, strerror(errno));
	*fd = lfd;
	lfd = -1;
	ret = 0;
out:
	if (lfd >= 0)
		close(lfd);
	free(path);
	return ret;
}

void state_unlock(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) < 0) {
		/* a stale pid in an unlocked file is harmless */
	}
	close(fd);
}

int state_sync(const char *state_dir, struct diag *d)
{
	int ret = dir_sync(state_dir);

	if (ret < 0)
		diag_err(d, "cannot sync state dir '%s': %s", state_dir, strerror(-ret));
	return ret;
}
