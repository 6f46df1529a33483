/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Throw-away directories for the tests that write files (test_config.c,
 * test_state.c, test_cache.c, test_metrics.c, test_resolve.c): create under
 * $TMPDIR, inspect, remove. Test
 * only; static inline so each test uses what it needs. Never removes anything
 * outside the directory it made.
 */
#ifndef CDNALLOW_TMPDIR_H
#define CDNALLOW_TMPDIR_H

#include <dirent.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline char *tmpdir_make(void)
{
	const char *base = getenv("TMPDIR");
	char *path = NULL;

	if (asprintf(&path, "%s/cdnallow-test-XXXXXX", base && *base ? base : "/tmp") < 0)
		return NULL;
	if (!mkdtemp(path)) {
		free(path);
		return NULL;
	}
	return path;
}

static inline int tmpdir_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void tmpdir_remove(char *path)
{
	if (!path)
		return;
	nftw(path, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

/* path inside dir; the returned string is owned by the caller. */
static inline char *tmpdir_path(const char *dir, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

static inline int tmpdir_write(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ret = 0;

	if (!f)
		return -1;
	if (len && fwrite(buf, 1, len, f) != len)
		ret = -1;
	if (fclose(f) != 0)
		ret = -1;
	return ret;
}

/* Permission bits of path, or -1. */
static inline int tmpdir_mode(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* Number of entries in dir (without . and ..); with_sub counts only names containing it. */
static inline int tmpdir_count(const char *dir, const char *with_sub)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!with_sub || strstr(e->d_name, with_sub))
			n++;
	}
	closedir(d);
	return n;
}

#endif
