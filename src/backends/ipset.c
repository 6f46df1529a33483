// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hash:net ipsets: read back with the `ipset` program (`ipset save`), their
 * headers listed and the sets written over netlink (ipset_nl.c): a temporary
 * twin is created,
 * filled, swapped in and destroyed, so a rule matching on the set never sees a
 * half-filled one. Touches only the sets it is named; never flushes a live set
 * in place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter/ipset/ip_set.h>

#include "diag.h"
#include "ipset.h"
#include "ipset_msg.h"
#include "ipset_nl.h"
#include "prefix_set.h"
#include "spawn.h"

/* 1M entries save in a few seconds; a loaded box may need far more */
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
	struct ipset_nl *nl = NULL;
	int ret = ipset_nl_open(&nl, false, d);

	*text = NULL;
	if (!ret)
		ret = ipset_nl_list_headers(nl, text);
	ipset_nl_close(nl);
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

/* What the listing text says of set name; absent from it: info->exists is false. */
static void info_of(const char *text, const char *name, int family, struct ipset_info *info)
{
	char block[1024];

	memset(info, 0, sizeof(*info));
	info->plain = true;
	if (text && ipset_header_block(text, name, block, sizeof(block)) == 1)
		ipset_parse_list_header(block, family, info);
}

struct job_plan {
	char tmpname[IPSET_NAME_MAX + 8];
	struct ipset_create create;
	bool live_exists, tmp_exists;
};

/* headers: the listing of every set, for a job that is not known */
static int plan_job(const struct ipset_job *j, const char *headers, struct job_plan *pl,
		    struct diag *d)
{
	struct ipset_info live, tmp;
	size_t n = prefix_set_count(j->want, j->family);

	if (strlen(j->name) + strlen(IPSET_TMP_SUFFIX) > IPSET_NAME_MAX) {
		diag_err(d, "ipset name '%s' too long", j->name);
		return -ENAMETOOLONG;
	}
	snprintf(pl->tmpname, sizeof(pl->tmpname), "%s%s", j->name, IPSET_TMP_SUFFIX);
	if (j->known) {
		live = j->live;
		tmp.exists = j->tmp_exists;
	} else {
		info_of(headers, j->name, j->family, &live);
		info_of(headers, pl->tmpname, j->family, &tmp);
	}
	if (live.exists && !live.compatible) {
		diag_err(d, "ipset '%s' exists as '%s' family %s; need hash:net family %s", j->name,
			 live.type, live.family == AF_INET6 ? "inet6" : "inet",
			 family_word(j->family));
		return -EEXIST;
	}
	pl->live_exists = live.exists;
	pl->tmp_exists = tmp.exists;
	pl->create = (struct ipset_create){ .name = pl->tmpname,
					    .family = j->family,
					    .hashsize = (uint32_t)hashsize_for(n),
					    .maxelem = (uint32_t)ipset_maxelem_for(n) };
	return 0;
}

static int fill_job(struct ipset_nl *nl, const struct ipset_job *j, const struct job_plan *pl)
{
	struct ipset_entries a = { .cmd = IPSET_CMD_ADD,
				   .name = pl->tmpname,
				   .family = j->family,
				   .v = j->want->v,
				   .n = j->want->n };
	int ret = 0;

	/* a leftover from an interrupted run may have another size: start afresh */
	if (pl->tmp_exists)
		ret = ipset_nl_named(nl, IPSET_CMD_DESTROY, pl->tmpname, true);
	if (!ret)
		ret = ipset_nl_create(nl, &pl->create);
	if (!ret)
		ret = ipset_nl_adt(nl, &a);
	return ret;
}

static int swap_job(struct ipset_nl *nl, const struct ipset_job *j, const struct job_plan *pl)
{
	struct ipset_create c = pl->create;
	int ret = 0;

	c.name = j->name;
	if (!pl->live_exists)
		ret = ipset_nl_create(nl, &c);
	/* swap exchanges the sets whole, maxelem included: a grown list needs no resize */
	if (!ret)
		ret = ipset_nl_swap(nl, pl->tmpname, j->name);
	if (!ret)
		ret = ipset_nl_named(nl, IPSET_CMD_DESTROY, pl->tmpname, false);
	return ret;
}

static bool any_unknown(const struct ipset_job *jobs, size_t njobs)
{
	for (size_t i = 0; i < njobs; i++)
		if (!jobs[i].known)
			return true;
	return false;
}

/* After the swaps, on the same socket; a failure costs the caller's record, not the sync. */
static void list_after(struct ipset_nl *nl, char **headers)
{
	struct diag tmp;

	diag_init(&tmp);
	ipset_nl_set_diag(nl, &tmp);
	if (ipset_nl_list_headers(nl, headers) < 0)
		*headers = NULL;
	diag_release(&tmp);
}

int ipset_replace(const struct ipset_job *jobs, size_t njobs, char **headers, struct diag *d)
{
	struct job_plan *plans = NULL;
	struct ipset_nl *nl = NULL;
	char *before = NULL;
	int ret = 0;

	if (headers)
		*headers = NULL;
	if (!njobs)
		return 0;
	plans = calloc(njobs, sizeof(*plans));
	if (!plans)
		return -ENOMEM;
	ret = ipset_nl_open(&nl, true, d);
	if (!ret && any_unknown(jobs, njobs))
		ret = ipset_nl_list_headers(nl, &before);
	for (size_t i = 0; i < njobs && !ret; i++)
		ret = plan_job(&jobs[i], before, &plans[i], d);
	/*
	 * Every twin is filled before any swap: a refusal (a full set, a bad entry)
	 * leaves all live sets as they were. A twin left behind is replaced next run.
	 */
	for (size_t i = 0; i < njobs && !ret; i++)
		ret = fill_job(nl, &jobs[i], &plans[i]);
	if (!ret)
		ret = ipset_nl_wait(nl);
	for (size_t i = 0; i < njobs && !ret; i++)
		ret = swap_job(nl, &jobs[i], &plans[i]);
	if (!ret)
		ret = ipset_nl_wait(nl);
	if (!ret && headers)
		list_after(nl, headers);
	ipset_nl_close(nl);
	free(before);
	free(plans);
	return ret;
}

int ipset_destroy(const char *name, struct diag *d)
{
	char tmpname[IPSET_NAME_MAX + 8];
	struct ipset_nl *nl = NULL;
	int ret;

	snprintf(tmpname, sizeof(tmpname), "%s%s", name, IPSET_TMP_SUFFIX);
	ret = ipset_nl_open(&nl, false, d);
	if (!ret)
		ret = ipset_nl_named(nl, IPSET_CMD_DESTROY, tmpname, true);
	if (!ret)
		ret = ipset_nl_named(nl, IPSET_CMD_DESTROY, name, true);
	if (!ret)
		ret = ipset_nl_wait(nl);
	ipset_nl_close(nl);
	return ret;
}
