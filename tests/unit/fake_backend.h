/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two fake firewalls for test_engine.c and test_lockdown.c, each a struct
 * backend_ops: "fakewall" (the backend that allows) and "nftables" (the one
 * holding the lockdown table). Each keeps what it holds in a text file, so a
 * killed process leaves its state on disk as a real firewall does; every
 * apply is logged in fake_events in order ("nftables:LIST;fakewall:LIST;"),
 * a failing one as "NAME:FAIL;". Test only.
 */
#ifndef CDNALLOW_FAKE_BACKEND_H
#define CDNALLOW_FAKE_BACKEND_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "diag.h"
#include "plan.h"
#include "prefix.h"
#include "prefix_set.h"

struct fake_fw {
	const char *name;
	char *file;	 /* what it holds; absent: cdnallow's objects are not there */
	int fail_apply;	 /* -errno for apply() to return, 0 to succeed */
	bool incomplete; /* read() reports the objects damaged */
	bool last_create, last_repair;
	uint64_t last_want_sum; /* plan.want_sum of the last apply */
	uint64_t read_sum;	/* read() says it read its set from applied.rec with this sum */
	bool saw_lockdown_only; /* the cfg of the last open() */
};

static struct fake_fw fake_wall = { .name = "fakewall" };
static struct fake_fw fake_nft = { .name = "nftables" };
static char fake_events[4096];

/* "a,b,c" of s in order, into buf. */
static inline void fake_list(const struct prefix_set *s, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; s && i < s->n && len + 64 < size; i++) {
		char p[64];

		prefix_format(&s->v[i], p, sizeof(p));
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "", p);
	}
}

static inline void fake_log(const char *name, const char *what)
{
	size_t len = strlen(fake_events);

	snprintf(fake_events + len, sizeof(fake_events) - len, "%s:%s;", name, what);
}

/* Writes text (one prefix a line, commas allowed as separators) as what f holds; NULL: nothing. */
static inline int fake_put(struct fake_fw *f, const char *text)
{
	FILE *fp;

	if (!text)
		return remove(f->file) == 0 || errno == ENOENT ? 0 : -errno;
	fp = fopen(f->file, "w");
	if (!fp)
		return -errno;
	for (const char *c = text; *c; c++)
		fputc(*c == ',' ? '\n' : *c, fp);
	fputc('\n', fp);
	return fclose(fp) == 0 ? 0 : -EIO;
}

/* What f holds as "a,b,c", "-" when its objects are absent. */
static inline void fake_get(const struct fake_fw *f, char *buf, size_t size)
{
	struct prefix_set *s = prefix_set_new();
	char text[4096];
	FILE *fp = fopen(f->file, "r");
	size_t n;

	snprintf(buf, size, "-");
	if (!fp || !s)
		goto out;
	n = fread(text, 1, sizeof(text), fp);
	if (prefix_set_parse_text(s, text, n, f->file, NULL) == 0)
		fake_list(s, buf, size);
out:
	if (fp)
		fclose(fp);
	prefix_set_free(s);
}

static inline int fake_read(struct fake_fw *f, struct backend_state *st, struct diag *d)
{
	char text[4096];
	FILE *fp = fopen(f->file, "r");
	size_t n;
	int ret;

	prefix_set_clear(st->set);
	st->present = fp != NULL;
	st->complete = fp && !f->incomplete;
	snprintf(st->where, sizeof(st->where), "%s file", f->name);
	st->applied_sum = f->read_sum;
	if (!fp)
		return 0;
	n = fread(text, 1, sizeof(text), fp);
	fclose(fp);
	ret = prefix_set_parse_text(st->set, text, n, f->file, d);
	return ret < 0 ? ret : prefix_set_aggregate(st->set);
}

static inline int fake_apply(struct fake_fw *f, const struct plan *p, struct diag *d)
{
	char list[2048];

	f->last_create = p->create;
	f->last_repair = p->repair;
	f->last_want_sum = p->want_sum;
	if (f->fail_apply) {
		fake_log(f->name, "FAIL");
		diag_err(d, "injected failure");
		return f->fail_apply;
	}
	fake_list(p->want, list, sizeof(list));
	fake_log(f->name, list);
	return fake_put(f, list);
}

#define FAKE_OPS(var, fw, label)                                                       \
	static int var##_open(const struct backend_cfg *cfg, void **h, struct diag *d) \
	{                                                                              \
		(void)d;                                                               \
		fw.saw_lockdown_only = cfg->lockdown_only;                             \
		*h = &fw;                                                              \
		return 0;                                                              \
	}                                                                              \
	static int var##_read(void *h, struct backend_state *st, struct diag *d)       \
	{                                                                              \
		return fake_read(h, st, d);                                            \
	}                                                                              \
	static int var##_apply(void *h, const struct plan *p, struct diag *d)          \
	{                                                                              \
		return fake_apply(h, p, d);                                            \
	}                                                                              \
	static int var##_flush(void *h, struct diag *d)                                \
	{                                                                              \
		(void)d;                                                               \
		fake_log(((struct fake_fw *)h)->name, "flush");                        \
		return fake_put(h, NULL);                                              \
	}                                                                              \
	static void var##_close(void *h)                                               \
	{                                                                              \
		(void)h;                                                               \
	}                                                                              \
	static const struct backend_ops var = {                                        \
		.name = label,                                                         \
		.open = var##_open,                                                    \
		.read = var##_read,                                                    \
		.apply = var##_apply,                                                  \
		.flush = var##_flush,                                                  \
		.close = var##_close,                                                  \
	}

FAKE_OPS(fake_wall_ops, fake_wall, "fakewall");
FAKE_OPS(fake_nft_ops, fake_nft, "nftables");

/* Points both fakes at files in dir, nothing installed, nothing failing, no events. */
static inline void fake_reset(const char *dir)
{
	struct fake_fw *fw[2] = { &fake_wall, &fake_nft };

	for (int i = 0; i < 2; i++) {
		const char *name = fw[i]->name;

		free(fw[i]->file);
		memset(fw[i], 0, sizeof(*fw[i]));
		fw[i]->name = name;
		if (asprintf(&fw[i]->file, "%s/%s.txt", dir, name) < 0)
			abort();
	}
	fake_events[0] = '\0';
}

#endif
