// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Keeps one [output:NAME] file in step with the synced list (output.h). A
 * file whose content is already right is neither rewritten nor reloaded, so a
 * no-op sync leaves the web server alone. A write is atomic (fileio.c), and a
 * test command that fails gets the previous file back before anything else
 * can read the new one for real: the server keeps running on its last good
 * configuration. Commands run without a shell (command.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "command.h"
#include "config.h"
#include "diag.h"
#include "fileio.h"
#include "output.h"

/* A server config or ban list far beyond any CDN's size is not ours to compare. */
#define OUTPUT_FILE_MAX (64u << 20)

static const char *const status_names[] = {
	[OUTPUT_UNCHANGED] = "unchanged",
	[OUTPUT_WOULD_CHANGE] = "would-change",
	[OUTPUT_WRITTEN] = "written",
	[OUTPUT_TEST_FAILED] = "test-failed",
	[OUTPUT_RELOAD_FAILED] = "reload-failed",
	[OUTPUT_FAILED] = "failed",
};

const char *output_status_name(enum output_status s)
{
	return (size_t)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "?";
}

bool output_status_failed(enum output_status s)
{
	return s == OUTPUT_TEST_FAILED || s == OUTPUT_RELOAD_FAILED || s == OUTPUT_FAILED;
}

struct previous {
	char *buf; /* NULL: there was no file */
	size_t len;
	unsigned mode;
};

static int read_previous(const char *path, struct previous *p, struct diag *d)
{
	struct stat st;
	int ret;

	memset(p, 0, sizeof(*p));
	/* the rename would replace a link with a file, leaving its target stale */
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		diag_err(d, "cannot read '%s': %s", path, strerror(-ret));
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_err(d, "'%s' is not a regular file%s", path,
			 S_ISLNK(st.st_mode) ? " but a symbolic link: give the path it points to"
					     : "");
		return -EINVAL;
	}
	p->mode = st.st_mode & 07777;
	ret = file_read_all(path, OUTPUT_FILE_MAX, &p->buf, &p->len);
	if (ret < 0)
		diag_err(d, "cannot read '%s': %s", path, strerror(-ret));
	return ret;
}

static int run(const char *line, const char *what, struct diag *d)
{
	struct command_opts co = { .what = what, .timeout_s = OUTPUT_COMMAND_TIMEOUT_S };

	return command_run(line, &co, NULL, d);
}

/* Puts the previous file back (or removes the new one): the server must never load it. */
static int restore(const struct output_def *o, const struct previous *p, struct diag *d)
{
	int ret = p->buf ? file_write_atomic(o->path, p->buf, p->len, p->mode) : 0;

	if (!p->buf && unlink(o->path) < 0 && errno != ENOENT)
		ret = -errno;
	if (ret < 0)
		diag_err(d, "cannot restore '%s' after the failed test: %s", o->path,
			 strerror(-ret));
	return ret;
}

static int write_and_check(const struct output_def *o, const char *content, size_t len,
			   const struct previous *p, struct output_result *r, struct diag *d)
{
	int ret = file_write_atomic(o->path, content, len, o->mode);

	if (ret < 0) {
		r->status = OUTPUT_FAILED;
		diag_err(d, "cannot write '%s': %s", o->path, strerror(-ret));
		return ret;
	}
	if (o->test) {
		ret = run(o->test, "test command", d);
		if (ret < 0) {
			r->status = OUTPUT_TEST_FAILED;
			if (restore(o, p, d) < 0)
				r->status = OUTPUT_FAILED;
			diag_prefix(
				d, "%s kept: ", p->buf ? "the previous file is" : "no new file is");
			return ret;
		}
	}
	r->status = OUTPUT_WRITTEN;
	if (o->reload) {
		ret = run(o->reload, "reload command", d);
		if (ret < 0) {
			r->status = OUTPUT_RELOAD_FAILED;
			diag_prefix(d, "'%s' is written and passed its test, but ", o->path);
			return ret;
		}
	}
	return 0;
}

static bool same(const struct previous *p, const char *content, size_t len)
{
	return p->buf && p->len == len && memcmp(p->buf, content, len) == 0;
}

int output_sync(const struct output_def *o, const char *content, size_t len, bool apply,
		struct output_result *r, struct diag *d)
{
	struct previous p;
	struct stat st;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = read_previous(o->path, &p, d);
	if (ret < 0) {
		r->status = OUTPUT_FAILED;
		goto out;
	}
	r->created = !p.buf;
	if (same(&p, content, len)) {
		r->status = OUTPUT_UNCHANGED;
		/* a mode change alone needs no reload: the content the server reads is the same */
		if (apply && p.mode != o->mode && chmod(o->path, (mode_t)o->mode) < 0)
			diag_warn(d, "output '%s': cannot chmod '%s': %s", o->name, o->path,
				  strerror(errno));
	} else if (!apply) {
		r->status = OUTPUT_WOULD_CHANGE;
	} else {
		ret = write_and_check(o, content, len, &p, r, d);
	}
out:
	if (stat(o->path, &st) == 0)
		r->mtime = st.st_mtime;
	if (ret < 0)
		diag_prefix(d, "output '%s': ", o->name);
	free(p.buf);
	return ret;
}
