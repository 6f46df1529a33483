// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * STATE_DIR/applied.rec, the set the last successful sync applied: what
 * `status` and `doctor` compare the kernel with (`status --list` prints it as
 * text for the admin). A 32-byte header (magic with version, payload length,
 * checksum64 of counts and payload, IPv4 and IPv6 counts), then prefix_pack
 * records: 6 bytes a /32 where applied.txt took 15 and a parse. A host
 * upgraded from applied.txt keeps reading it until the first save replaces
 * it. A record of another version reads as stale, a damaged one as corrupt:
 * never as a shorter set.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "fileio.h"
#include "hash.h"
#include "prefix_pack.h"
#include "prefix_set.h"
#include "state.h"
#include "strbuf.h"

#define REC_FILE STATE_APPLIED_FILE
#define REC_MAGIC "CDNAAPL" /* + one version digit */
#define REC_VERSION '1'
#define REC_HEADER 32 /* magic 8, payload length 8, checksum 8, ipv4 count 4, ipv6 count 4 */
#define TXT_FILE "applied.txt"
#define TXT_MAGIC "# cdnallow applied set v1:"
/* A million IPv6 prefixes at ~45 bytes each (text), with room to spare. */
#define APPLIED_MAX ((size_t)256 * 1024 * 1024)

/* The whole applied.rec image of set (*out owned, *len its length). */
static int image(const struct prefix_set *set, uint8_t **out, size_t *len)
{
	size_t n4 = prefix_set_count(set, AF_INET), n6 = set->n - n4;
	struct strbuf sb = { 0 };
	uint8_t *h;

	*out = NULL;
	*len = 0;
	if (n4 > UINT32_MAX || n6 > UINT32_MAX)
		return -EOVERFLOW;
	strbuf_add(&sb, REC_MAGIC, 7);
	strbuf_add(&sb, (char[]){ REC_VERSION }, 1);
	strbuf_add(&sb, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", REC_HEADER - 8);
	prefix_pack(&sb, set);
	if (sb.err) {
		int ret = sb.err;

		strbuf_release(&sb);
		return ret;
	}
	h = (uint8_t *)sb.buf;
	pack_put_le(h + 24, n4, 4);
	pack_put_le(h + 28, n6, 4);
	pack_put_le(h + 8, sb.len - REC_HEADER, 8);
	pack_put_le(h + 16, checksum64(h + 24, sb.len - 24), 8);
	*out = h;
	*len = sb.len;
	return 0;
}

int state_pack_applied(const struct prefix_set *set, struct state_applied_image *img)
{
	int ret = image(set, &img->buf, &img->len);

	img->sum = ret == 0 ? pack_get_le(img->buf + 16, 8) : 0;
	return ret;
}

void state_applied_image_release(struct state_applied_image *img)
{
	free(img->buf);
	img->buf = NULL;
	img->len = 0;
}

int state_write_applied(const char *state_dir, const struct state_applied_image *img,
			struct diag *d)
{
	char *path = file_path(state_dir, REC_FILE), *old = file_path(state_dir, TXT_FILE);
	int ret = path && old ? dir_ensure(state_dir, 0700) : -ENOMEM;

	if (ret < 0) {
		diag_err(d, "cannot create state dir '%s': %s", state_dir, strerror(-ret));
		goto out;
	}
	ret = file_write_synced(path, img->buf, img->len,
				0600); /* state_sync() after: one dir fsync */
	if (ret < 0) {
		diag_err(d, "cannot write '%s': %s", path, strerror(-ret));
		goto out;
	}
	/* the text of an older version would only go stale */
	unlink(old);
out:
	free(path);
	free(old);
	return ret;
}

int state_save_applied(const char *state_dir, const struct prefix_set *set, uint64_t *sum,
		       struct diag *d)
{
	struct state_applied_image img;
	int ret = state_pack_applied(set, &img);

	if (ret == 0)
		ret = state_write_applied(state_dir, &img, d);
	if (ret == 0 && sum)
		*sum = img.sum;
	state_applied_image_release(&img);
	return ret;
}

bool state_applied_holds(const char *state_dir, const struct state_applied_image *img)
{
	char *path = file_path(state_dir, REC_FILE), *have = NULL;
	size_t hlen = 0;
	bool same = false;

	if (path && img->buf && file_read_private(path, img->len + 1, &have, &hlen) == 0)
		same = hlen == img->len && memcmp(have, img->buf, img->len) == 0;
	free(have);
	free(path);
	return same;
}

bool state_applied_is(const char *state_dir, const struct prefix_set *set, uint64_t *sum)
{
	struct state_applied_image img;
	bool same = state_pack_applied(set, &img) == 0 && state_applied_holds(state_dir, &img);

	if (same && sum)
		*sum = img.sum;
	state_applied_image_release(&img);
	return same;
}

int state_applied_sum(const struct prefix_set *set, uint64_t *sum)
{
	struct state_applied_image img;
	int ret = state_pack_applied(set, &img);

	if (ret == 0)
		*sum = img.sum;
	state_applied_image_release(&img);
	return ret;
}

int state_parse_applied_as(const void *buf, size_t len, uint64_t sum, size_t count,
			   struct prefix_set *set)
{
	struct diag d;
	int ret;

	prefix_set_clear(set);
	/* the full check below still runs: a matching checksum field proves nothing by itself */
	if (!buf || len < REC_HEADER || pack_get_le((const uint8_t *)buf + 16, 8) != sum)
		return -ESTALE;
	diag_init(&d);
	ret = state_parse_applied(buf, len, set, &d);
	diag_release(&d);
	if (ret == 0 && count != STATE_ANY_COUNT && set->n != count)
		ret = -EBADMSG;
	if (ret < 0)
		prefix_set_clear(set);
	return ret; /* state_parse_applied's are 0, -ESTALE, -EBADMSG or -ENOMEM */
}

int state_load_applied_as(const char *state_dir, uint64_t sum, size_t count, struct prefix_set *set)
{
	char *path = file_path(state_dir, REC_FILE), *buf = NULL;
	size_t len = 0;
	int ret = path ? file_read_private(path, APPLIED_MAX, &buf, &len) : -ENOMEM;

	if (ret == 0 || ret == -ENOENT)
		ret = state_parse_applied_as(buf, len, sum, count, set);
	else if (ret != -ENOMEM)
		ret = -EBADMSG;
	free(buf);
	free(path);
	return ret;
}

/* Checks and decodes an applied.rec image into set (empty). */
int state_parse_applied(const void *buf, size_t len, struct prefix_set *set, struct diag *d)
{
	const uint8_t *h = buf;
	size_t want[2], n;
	int ret;

	if (len < REC_HEADER || memcmp(h, REC_MAGIC, 7)) {
		diag_err(d, "applied set is corrupt (no valid header)");
		return -EBADMSG;
	}
	if (h[7] != REC_VERSION) {
		diag_err(d,
			 "applied set was written by another version (%c); the next sync "
			 "rewrites it",
			 h[7]);
		return -ESTALE;
	}
	if (pack_get_le(h + 8, 8) != len - REC_HEADER ||
	    pack_get_le(h + 16, 8) != checksum64(h + 24, len - 24)) {
		diag_err(d, "applied set is corrupt (torn or damaged: length or checksum)");
		return -EBADMSG;
	}
	want[0] = (size_t)pack_get_le(h + 24, 4);
	want[1] = (size_t)pack_get_le(h + 28, 4);
	ret = prefix_unpack_all(h + REC_HEADER, len - REC_HEADER, want[0] + want[1], set);
	n = set->n;
	if (ret == 0)
		ret = prefix_set_aggregate(set);
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0 || set->n != n || prefix_set_count(set, AF_INET) != want[0]) {
		diag_err(d, "applied set is corrupt (records do not match the header)");
		prefix_set_clear(set);
		return -EBADMSG;
	}
	return 0;
}

static int parse_text_header(const char *buf, size_t len, size_t want[2])
{
	const char *nl = memchr(buf, '\n', len);
	size_t mlen = strlen(TXT_MAGIC);
	char line[128], tail;

	if (!nl || (size_t)(nl - buf) >= sizeof(line) || len < mlen ||
	    memcmp(buf, TXT_MAGIC, mlen) != 0)
		return -EBADMSG;
	memcpy(line, buf + mlen, (size_t)(nl - buf) - mlen);
	line[(nl - buf) - mlen] = '\0';
	if (sscanf(line, " %zu ipv4, %zu ipv6%c", &want[0], &want[1], &tail) != 2)
		return -EBADMSG;
	return 0;
}

/*
 * applied.txt, written before applied.rec: a header that records the counts
 * (a file cut at a line boundary would otherwise parse as a valid, smaller
 * set), then one prefix a line.
 */
static int parse_text(const char *path, const char *buf, size_t len, struct prefix_set *set,
		      struct diag *d)
{
	struct diag sub;
	size_t want[2];
	int ret;

	if (parse_text_header(buf, len, want) < 0) {
		diag_err(d, "applied set '%s' is corrupt (no valid header line)", path);
		return -EBADMSG;
	}
	diag_init(&sub);
	ret = prefix_set_parse_text(set, buf, len, path, &sub);
	if (ret < 0 && ret != -ENOMEM) {
		diag_err(d, "applied set is corrupt: %s", sub.msg);
		ret = -EBADMSG;
	}
	diag_release(&sub);
	if (ret == 0)
		ret = prefix_set_aggregate(set);
	if (ret == 0 && (prefix_set_count(set, AF_INET) != want[0] ||
			 prefix_set_count(set, AF_INET6) != want[1])) {
		diag_err(d,
			 "applied set '%s' is corrupt (header says %zu ipv4 and %zu ipv6, "
			 "file holds %zu and %zu)",
			 path, want[0], want[1], prefix_set_count(set, AF_INET),
			 prefix_set_count(set, AF_INET6));
		ret = -EBADMSG;
	}
	return ret;
}

static int load_file(const char *state_dir, const char *file, struct prefix_set *set,
		     struct diag *d)
{
	char *path = file_path(state_dir, file), *buf = NULL;
	size_t len = 0;
	int ret;

	if (!path)
		return -ENOMEM;
	ret = file_read_private(path, APPLIED_MAX, &buf, &len);
	if (ret == -ENOENT)
		goto out;
	if (ret < 0) {
		diag_err(d, "cannot read '%s': %s", path, strerror(-ret));
		goto out;
	}
	if (strcmp(file, REC_FILE)) {
		ret = parse_text(path, buf, len, set, d);
	} else {
		ret = state_parse_applied(buf, len, set, d);
		if (ret < 0)
			diag_prefix(d, "'%s': ", path);
	}
out:
	free(buf);
	free(path);
	return ret;
}

int state_load_applied(const char *state_dir, struct prefix_set *set, struct diag *d)
{
	int ret;

	prefix_set_clear(set);
	ret = load_file(state_dir, REC_FILE, set, d);
	if (ret == -ENOENT)
		ret = load_file(state_dir, TXT_FILE, set, d);
	if (ret < 0)
		prefix_set_clear(set);
	return ret;
}
