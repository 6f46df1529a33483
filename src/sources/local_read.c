// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads a source's local file in fixed chunks, never whole: once to
 * checksum it (is it the file the cached list came from?), and, only when it
 * changed, once more to parse it through source_stream.c while checksumming
 * what is parsed, so the validator kept is the one of the bytes parsed. A
 * file that changes while it is read (a list being rewritten in place) is
 * refused with -EAGAIN rather than parsed half old, half new.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "prefix_set.h"
#include "source_stream.h"

/* What must not change while the file is read. */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Reads path to its end in chunks: each to the checksum, and to ss when set. */
static int read_chunks(const char *path, size_t max, struct source_stream *ss, size_t *len,
		       uint64_t *sum)
{
	struct checksum64_ctx c;
	struct stat st, after;
	char *buf = NULL;
	size_t n = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > max) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		goto out;
	}
	buf = malloc(SOURCE_READ_CHUNK);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	if (ss)
		source_stream_expect(ss, (size_t)st.st_size);
	checksum64_init(&c, (size_t)st.st_size);
	for (;;) {
		ssize_t r = read(fd, buf, SOURCE_READ_CHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			ret = -EFBIG; /* grew past the cap: fail, never truncate */
			goto out;
		}
		checksum64_add(&c, buf, (size_t)r);
		ret = ss ? source_stream_feed(ss, buf, (size_t)r) : 0;
		if (ret < 0)
			goto out;
	}
	if (fstat(fd, &after) < 0 || !same_file(&st, &after) || n != (size_t)st.st_size) {
		ret = -EAGAIN;
		goto out;
	}
	*len = n;
	*sum = checksum64_final(&c);
out:
	free(buf);
	close(fd);
	return ret;
}

int source_sum_local(const char *path, size_t max, size_t *len, uint64_t *sum)
{
	return read_chunks(path, max, NULL, len, sum);
}

int source_read_local(const struct source *src, size_t idx, const char *path, size_t max,
		      struct prefix_set *out, struct prefix_set *exclude, size_t *len,
		      uint64_t *sum, struct diag *d)
{
	struct source_stream *ss = source_stream_new(src, idx, out, exclude, d);
	size_t out_n = out ? out->n : 0, exclude_n = exclude ? exclude->n : 0;
	int ret;

	if (!ss)
		return -ENOMEM;
	ret = read_chunks(path, max, ss, len, sum);
	if (ret == 0)
		ret = source_stream_finish(ss);
	source_stream_free(ss);
	/* a read that failed half way must not leave half a list */
	if (ret < 0 && out)
		out->n = out_n;
	if (ret < 0 && exclude)
		exclude->n = exclude_n;
	return ret;
}
