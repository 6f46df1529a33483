// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hash:net ipsets through the `ipset` program: read back with `ipset save`,
 * replaced with one `ipset restore` (temporary set, fill, swap, destroy) so a
 * rule matching on the set never sees a half-filled one. Touches only the sets
 * it is named; never flushes a live set in place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "ipset.h"
#include "prefix_set.h"
#include "spawn.h"
#include "strbuf.h"

#define IPSET_LIST_TIMEOUT_MS 30000
/* 1M entries restore in a few seconds; a loaded box may need far more */
#define IPSET_BULK_TIMEOUT_MS 600000
#define IPSET_SAVE_CAP (1024u << 20)

unsigned long ipset_maxelem_for(size_t n)
{
	unsigned long m = 65536;

	while (m < 2 * (unsigned long)n && m < (1ul << 31))
		m <<= 1;
	return m;
}

/* Fewer resizes while restoring a big set; the kernel still grows it as needed. */
static unsigned long hashsize_for(size_t n)
{
	unsigned long h = 1024;

	while (h < n / 4 && h < (1ul << 24))
		h <<= 1;
	return h;
}

static const char *family_word(int family)
{
	return family == AF_INET6 ? "inet6" : "inet";
}

static bool is_absent(const struct spawn_result *r)
{
	return r->status != 0 && strstr(r->err, "does not exist");
}

static char *next_token(char **s)
{
	char *p = *s, *tok;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p) {
		*s = p;
		return NULL;
	}
	tok = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return tok;
}

/* "create NAME TYPE family inet hashsize 1024 maxelem 65536 ..." or "Header: family ..." */
static void parse_header_words(char *rest, struct ipset_info *info)
{
	char *tok;

	while ((tok = next_token(&rest))) {
		char *val;

		if (strcmp(tok, "family") && strcmp(tok, "maxelem"))
			continue;
		val = next_token(&rest);
		if (!val)
			break;
		if (!strcmp(tok, "family"))
			info->family = !strcmp(val, "inet6")  ? AF_INET6
				       : !strcmp(val, "inet") ? AF_INET
							      : 0;
		else
			info->maxelem = strtoul(val, NULL, 10);
	}
}

static void set_type(struct ipset_info *info, const char *type)
{
	snprintf(info->type, sizeof(info->type), "%s", type ? type : "");
}

static int parse_add_line(char *rest, int family, struct prefix_set *out, struct ipset_info *info,
			  const char *name, size_t lineno, struct diag *d)
{
	struct prefix p;
	char *entry = next_token(&rest);
	int ret;

	if (!entry) {
		diag_err(d, "ipset save '%s': line %zu: no entry", name, lineno);
		return -EBADMSG;
	}
	if (next_token(&rest))
		info->plain = false;
	ret = prefix_parse(entry, strlen(entry), &p, NULL);
	if (ret) {
		diag_err(d, "ipset save '%s': line %zu: bad entry '%s'", name, lineno, entry);
		return -EBADMSG;
	}
	if (p.family != family) {
		info->plain = false;
		return 0;
	}
	return out ? prefix_set_add(out, &p) : 0;
}

static int parse_save(char *text, const char *name, int family, struct prefix_set *out,
		      struct ipset_info *info, struct diag *d)
{
	char *line = text, *nl;
	size_t lineno = 0;
	int ret = 0;

	for (; line && *line; line = nl) {
		char *rest, *verb, *set;

		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		lineno++;
		rest = line;
		verb = next_token(&rest);
		set = verb ? next_token(&rest) : NULL;
		if (!set || strcmp(set, name))
			continue;
		if (!strcmp(verb, "create")) {
			set_type(info, next_token(&rest));
			parse_header_words(rest, info);
		} else if (!strcmp(verb, "add")) {
			ret = parse_add_line(rest, family, out, info, name, lineno, d);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static void finish_info(struct ipset_info *info, int family)
{
	info->compatible =
		info->exists && !strcmp(info->type, "hash:net") && info->family == family;
}

int ipset_parse_save(char *text, const char *name, int family, struct prefix_set *out,
		     struct ipset_info *info, struct diag *d)
{
	int ret;

	memset(info, 0, sizeof(*info));
	info->plain = true;
	info->exists = true;
	ret = parse_save(text, name, family, out, info, d);
	finish_info(info, family);
	return ret;
}

int ipset_read(const char *name, int family, struct prefix_set *out, struct ipset_info *info,
	       struct diag *d)
{
	const char *argv[] = { "ipset", "save", name, NULL };
	struct spawn_opts o = { .argv = argv,
				.what = "ipset save",
				.out_cap = IPSET_SAVE_CAP,
				.timeout_ms = IPSET_BULK_TIMEOUT_MS };
	struct spawn_result r;
	int ret;

	memset(info, 0, sizeof(*info));
	info->plain = true;
	ret = spawn_run(&o, &r, d);
	if (ret)
		goto out;
	if (is_absent(&r))
		goto out;
	ret = spawn_check(&o, &r, d);
	if (ret)
		goto out;
	if (r.out_truncated) {
		diag_err(d, "ipset save '%s': output larger than %u MiB", name,
			 IPSET_SAVE_CAP >> 20);
		ret = -EFBIG;
		goto out;
	}
	ret = ipset_parse_save(r.out, name, family, out, info, d);
out:
	spawn_result_release(&r);
	return ret;
}

void ipset_parse_list_header(char *text, int family, struct ipset_info *info)
{
	char *line, *nl;

	info->exists = true;
	for (line = text; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (!strncmp(line, "Type: ", 6))
			set_type(info, line + 6);
		else if (!strncmp(line, "Header: ", 8))
			parse_header_words(line + 8, info);
	}
	finish_info(info, family);
}

int ipset_list_headers(char **text, struct diag *d)
{
	const char *argv[] = { "ipset", "list", "-t", NULL };
	struct spawn_opts o = { .argv = argv,
				.what = "ipset list",
				.timeout_ms = IPSET_LIST_TIMEOUT_MS };
	struct spawn_result r;
	int ret = spawn_run_checked(&o, &r, d);

	*text = NULL;
	if (!ret) {
		*text = r.out;
		r.out = NULL;
	}
	spawn_result_release(&r);
	return ret;
}

static const char *find_block(const char *text, const char *name)
{
	size_t nlen = strlen(name);

	for (const char *line = text; line && *line;) {
		if (!strncmp(line, "Name: ", 6) && !strncmp(line + 6, name, nlen) &&
		    (line[6 + nlen] == '\n' || !line[6 + nlen]))
			return line;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

int ipset_header_block(const char *text, const char *name, char *buf, size_t size)
{
	const char *start = text ? find_block(text, name) : NULL, *end;

	if (!start)
		return 0;
	/* a block ends at a blank line or where the next set's begins */
	for (end = strchr(start, '\n');
	     end && end[1] && end[1] != '\n' && strncmp(end + 1, "Name: ", 6);
	     end = strchr(end + 1, '\n'))
		;
	if (!end)
		end = start + strlen(start);
	if ((size_t)(end - start) >= size)
		return -E2BIG;
	memcpy(buf, start, (size_t)(end - start));
	buf[end - start] = '\0';
	return 1;
}

/* Header only (`ipset list -t`): cheap even for a set of a million entries. */
static int probe(const char *name, int family, struct ipset_info *info, struct diag *d)
{
	const char *argv[] = { "ipset", "list", "-t", name, NULL };
	struct spawn_opts o = { .argv = argv,
				.what = "ipset list",
				.timeout_ms = IPSET_LIST_TIMEOUT_MS };
	struct spawn_result r;
	int ret;

	memset(info, 0, sizeof(*info));
	info->plain = true;
	ret = spawn_run(&o, &r, d);
	if (ret || is_absent(&r))
		goto out;
	ret = spawn_check(&o, &r, d);
	if (ret)
		goto out;
	ipset_parse_list_header(r.out, family, info);
out:
	spawn_result_release(&r);
	return ret;
}

/* "add TMP PREFIX" per prefix, without printf: a million lines cost ~1000 instructions each. */
static void add_lines(struct strbuf *t, const char *tmpname, const struct ipset_job *j)
{
	char line[IPSET_NAME_MAX + 16 + PREFIX_STRLEN];
	int head = snprintf(line, sizeof(line), "add %s ", tmpname);

	for (size_t i = 0; i < j->want->n; i++) {
		const struct prefix *p = &j->want->v[i];
		int n;

		if (p->family != j->family)
			continue;
		n = prefix_format(p, line + head, sizeof(line) - (size_t)head - 1);
		line[head + n] = '\n';
		strbuf_add(t, line, (size_t)(head + n + 1));
	}
}

static int add_job(struct strbuf *t, const struct ipset_job *j, struct diag *d)
{
	struct ipset_info live, tmp;
	char tmpname[IPSET_NAME_MAX + 8];
	size_t n = prefix_set_count(j->want, j->family);
	unsigned long maxelem = ipset_maxelem_for(n), hashsize = hashsize_for(n);
	int ret;

	if (strlen(j->name) + strlen(IPSET_TMP_SUFFIX) > IPSET_NAME_MAX) {
		diag_err(d, "ipset name '%s' too long", j->name);
		return -ENAMETOOLONG;
	}
	snprintf(tmpname, sizeof(tmpname), "%s%s", j->name, IPSET_TMP_SUFFIX);
	if (j->known) {
		live = j->live;
		tmp.exists = j->tmp_exists;
	} else {
		ret = probe(j->name, j->family, &live, d);
		if (!ret)
			ret = probe(tmpname, j->family, &tmp, d);
		if (ret)
			return ret;
	}
	if (live.exists && !live.compatible) {
		diag_err(d, "ipset '%s' exists as '%s' family %s; need hash:net family %s", j->name,
			 live.type, live.family == AF_INET6 ? "inet6" : "inet",
			 family_word(j->family));
		return -EEXIST;
	}
	/* a leftover from an interrupted run may have another size: start afresh */
	if (tmp.exists)
		strbuf_addf(t, "destroy %s\n", tmpname);
	strbuf_addf(t, "create %s hash:net family %s hashsize %lu maxelem %lu\n", tmpname,
		    family_word(j->family), hashsize, maxelem);
	add_lines(t, tmpname, j);
	if (!live.exists)
		strbuf_addf(t, "create %s hash:net family %s hashsize %lu maxelem %lu\n", j->name,
			    family_word(j->family), hashsize, maxelem);
	/* swap exchanges the sets whole, maxelem included: a grown list needs no resize */
	strbuf_addf(t, "swap %s %s\ndestroy %s\n", tmpname, j->name, tmpname);
	return 0;
}

int ipset_replace(const struct ipset_job *jobs, size_t njobs, struct diag *d)
{
	const char *argv[] = { "ipset", "restore", NULL };
	struct spawn_opts o = { .argv = argv,
				.what = "ipset restore",
				.timeout_ms = IPSET_BULK_TIMEOUT_MS };
	struct strbuf t = { 0 };
	struct spawn_result r = { 0 };
	int ret = 0;

	for (size_t i = 0; i < njobs && !ret; i++)
		ret = add_job(&t, &jobs[i], d);
	if (ret)
		goto out;
	if (t.err) {
		ret = t.err;
		diag_err(d, "ipset restore: %s", strerror(-ret));
		goto out;
	}
	if (!t.len)
		goto out;
	o.in = t.buf;
	o.in_len = t.len;
	ret = spawn_run_checked(&o, &r, d);
out:
	spawn_result_release(&r);
	strbuf_release(&t);
	return ret;
}

static int destroy_one(const char *name, struct diag *d)
{
	const char *argv[] = { "ipset", "destroy", name, NULL };
	struct spawn_opts o = { .argv = argv,
				.what = "ipset destroy",
				.timeout_ms = IPSET_LIST_TIMEOUT_MS };
	struct spawn_result r;
	int ret = spawn_run(&o, &r, d);

	if (!ret && !is_absent(&r)) {
		ret = spawn_check(&o, &r, d);
		if (ret && strstr(r.err, "in use"))
			ret = -EBUSY;
	}
	spawn_result_release(&r);
	return ret;
}

int ipset_destroy(const char *name, struct diag *d)
{
	char tmpname[IPSET_NAME_MAX + 8];
	int ret;

	snprintf(tmpname, sizeof(tmpname), "%s%s", name, IPSET_TMP_SUFFIX);
	ret = destroy_one(tmpname, d);
	if (!ret)
		ret = destroy_one(name, d);
	return ret;
}
