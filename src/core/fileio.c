// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The three file primitives the state dir is built on: whole-file reads with a
 * size cap, crash-safe replacement (temp file in the same directory, fsync,
 * rename, fsync of the directory) and mkdir -p. A reader must only ever see
 * the old or the new content of a file, never a torn one, and a failed write
 * must never leave its temp file behind.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The rename is only durable once the directory entry itself reaches the disk. */
static int fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int ret;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	ret = dir_sync(dir);
	free(dir);
	return ret;
}

/* durable: fsync the data before the rename; dir: then fsync the directory too */
static int replace(const char *path, const void *buf, size_t len, unsigned mode, bool durable,
		   bool dir)
{
	char *tmp = NULL;
	int fd = -1, ret;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	if (fchmod(fd, (mode_t)mode) < 0) {
		ret = -errno;
		goto out;
	}
	ret = write_full(fd, buf, len);
	if (ret < 0)
		goto out;
	if (durable && fsync(fd) < 0) {
		ret = -errno;
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		ret = -errno;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ret = -errno;
		goto out;
	}
	free(tmp);
	return durable && dir ? fsync_parent(path) : 0;
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return ret;
}

int file_write_atomic(const char *path, const void *buf, size_t len, unsigned mode)
{
	return replace(path, buf, len, mode, true, true);
}

int file_write_synced(const char *path, const void *buf, size_t len, unsigned mode)
{
	return replace(path, buf, len, mode, true, false);
}

int file_replace(const char *path, const void *buf, size_t len, unsigned mode)
{
	return replace(path, buf, len, mode, false, false);
}

char *file_path(const char *dir, const char *name)
{
	char *p = NULL;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

bool file_owner_trusted(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static int read_fd(int fd, bool private, size_t max, char **buf, size_t *len);

int file_read_all(const char *path, size_t max, char **buf, size_t *len)
{
	int fd;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return read_fd(fd, false, max, buf, len);
}

int file_read_private(const char *path, size_t max, char **buf, size_t *len)
{
	int fd;

	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO planted in the state dir must not hang the run */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	return read_fd(fd, true, max, buf, len);
}

/* Reads fd to the end and closes it; private: a regular file nobody else may write. */
static int read_fd(int fd, bool private, size_t max, char **buf, size_t *len)
{
	size_t cap, n = 0;
	char *b = NULL;
	struct stat st;
	int ret;

	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (private && (!S_ISREG(st.st_mode) || !file_owner_trusted(&st))) {
		ret = -EPERM;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max) {
		ret = -EFBIG;
		goto out;
	}
	/*
	 * st_size is a hint only: the file may grow, and pipes report 0. Room for
	 * the NUL and one byte more, so that the read which finds the end needs no
	 * growth: a buffer doubled for it was the peak of a sync at 100k.
	 */
	cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 2 : 4096;
	if (cap > max + 2)
		cap = max + 2;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap || !b) {
			size_t ncap = b ? cap * 2 : cap;
			char *nb;

			if (ncap > max + 2)
				ncap = max + 2;
			if (ncap < 2)
				ncap = 2;
			nb = realloc(b, ncap);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			b = nb;
			cap = ncap;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			ret = -EFBIG;
			goto out;
		}
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
	ret = 0;
out:
	free(b);
	close(fd);
	return ret;
}

static int mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int dir_ensure(const char *path, unsigned mode)
{
	char *p;
	size_t n;
	int ret = 0;

	if (!path || !*path)
		return -EINVAL;
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		ret = mkdir_one(p, 0755);
		*s = '/';
		if (ret < 0)
			goto out;
	}
	ret = mkdir_one(p, (mode_t)mode);
out:
	free(p);
	return ret;
}
