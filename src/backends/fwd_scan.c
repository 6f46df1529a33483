// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewalld backend's model of what it owns: its shards (each an ipset
 * and its twin), the rich rules the shards want, and the scan that reads every
 * cdnallow object (ipsets, policy, the source-bound zone of earlier builds)
 * over D-Bus into struct fwd. Shared by firewalld.c (open, read, flush,
 * audit) and fwd_sync.c (apply), which therefore no longer call each other
 * both ways. Read-only: it never changes firewalld.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend.h"
#include "build_config.h"
#include "diag.h"
#include "fwd_int.h"
#include "prefix_set.h"

#if HAVE_LIBSYSTEMD

const char *const fwd_set_family[2] = { "inet", "inet6" };
const int fwd_af[2] = { AF_INET, AF_INET6 };

static void release_shard(struct fwd_shard *m)
{
	for (int t = 0; t < 2; t++) {
		free(m->path[t]);
		fwd_entries_release(&m->rt[t]);
		fwd_entries_release(&m->perm[t]);
	}
}

void fwd_scan_release(struct fwd *f)
{
	free(f->zone_path);
	free(f->policy_path);
	fwd_strv_free(f->rt_rules);
	fwd_strv_free(f->perm_rules);
	fwd_strv_free(f->rt_zone_sources);
	f->zone_path = f->policy_path = NULL;
	f->rt_rules = f->perm_rules = f->rt_zone_sources = NULL;
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < f->fam[i].n; k++)
			release_shard(&f->fam[i].sh[k]);
		free(f->fam[i].sh);
		memset(&f->fam[i], 0, sizeof(f->fam[i]));
	}
	f->scanned = false;
}

struct fwd_shard *fwd_shard_at(struct fwd *f, int i, size_t k)
{
	struct fwd_fam *m = &f->fam[i];
	struct fwd_shard *v;

	if (k < m->n)
		return &m->sh[k];
	if (k >= FWD_SHARD_MAX)
		return NULL;
	v = realloc(m->sh, (k + 1) * sizeof(*v));
	if (!v)
		return NULL;
	memset(v + m->n, 0, (k + 1 - m->n) * sizeof(*v));
	m->sh = v;
	m->n = k + 1;
	return &v[k];
}

/* The rich rule accepting port from twin t of shard k of family i, as firewalld 1.x writes it. */
static char *rule_for(int i, size_t k, int t, unsigned port)
{
	char name[FWD_NAME_MAX], *s;

	fwd_shard_name(name, i, k, t);
	if (asprintf(&s,
		     "rule family=\"%s\" source ipset=\"%s\" port port=\"%u\" protocol=\"tcp\" "
		     "accept",
		     i ? "ipv6" : "ipv4", name, port) < 0)
		return NULL;
	return s;
}

int fwd_want_rules(const struct fwd *f,
		   int (*twin)(const struct fwd *f, int i, size_t k, const void *arg),
		   const void *arg, char ***out)
{
	size_t n = f->cfg->nports, j = 0, used = 0;
	char **v;

	*out = NULL;
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < f->fam[i].n; k++)
			used += twin(f, i, k, arg) >= 0;
	}
	v = calloc(used * n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < f->fam[i].n; k++) {
			int t = twin(f, i, k, arg);

			for (size_t p = 0; t >= 0 && p < n; p++) {
				v[j] = rule_for(i, k, t, f->cfg->ports[p]);
				if (!v[j++]) {
					fwd_strv_free(v);
					return -ENOMEM;
				}
			}
		}
	}
	*out = v;
	return 0;
}

int fwd_active(const struct fwd_shard *m)
{
	if (m->rt_src[0] == m->rt_src[1])
		return -1;
	return m->rt_src[0] ? 0 : 1;
}

/* Marks shard ipset name as named by the runtime or permanent rules (or old zone). */
static int mark_source(struct fwd *f, const char *name, size_t len, bool perm)
{
	char buf[FWD_NAME_MAX];
	struct fwd_shard *m;
	size_t k;
	int i, t;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (!fwd_shard_parse(buf, &i, &k, &t))
		return 0;
	m = fwd_shard_at(f, i, k);
	if (!m)
		return -ENOMEM;
	if (perm)
		m->perm_src[t] = true;
	else
		m->rt_src[t] = true;
	return 0;
}

/* Marks which cdnallow ipsets the rules name (`source ipset="cdnallow4-3" `). */
static int rule_sources(char *const *rules, struct fwd *f, bool perm)
{
	static const char key[] = " source ipset=\"";
	int r = 0;

	for (char *const *s = rules; r >= 0 && s && *s; s++) {
		const char *p = strstr(*s, key), *e;

		if (!p)
			continue;
		p += strlen(key);
		e = strchr(p, '"');
		if (e)
			r = mark_source(f, p, (size_t)(e - p), perm);
	}
	return r;
}

/* The old zone's ipset sources count as in use: until migrated, they allow the CDN. */
static int zone_sources(char *const *sources, struct fwd *f, bool perm)
{
	int r = 0;

	for (char *const *s = sources; r >= 0 && s && *s; s++) {
		if (!strncmp(*s, "ipset:", 6))
			r = mark_source(f, *s + 6, strlen(*s + 6), perm);
	}
	return r;
}

/* Runtime (perm false) or permanent entries of every shard ipset in names. */
static int scan_named(struct fwd *f, char *const *names, bool perm, struct diag *d)
{
	struct fwd_shard *m;
	char **raw = NULL;
	size_t k;
	int r = 0, i, t;

	for (char *const *s = names; r >= 0 && s && *s; s++) {
		if (!fwd_shard_parse(*s, &i, &k, &t))
			continue;
		m = fwd_shard_at(f, i, k);
		if (!m)
			return -ENOMEM;
		if (!perm) {
			r = fwd_rt_entries(f->bus, *s, &raw, d);
			if (r >= 0)
				r = fwd_entries_parse(&m->rt[t], raw, fwd_af[i]);
			continue;
		}
		r = fwd_cfg_ipset_named(f->bus, *s, &m->path[t], d);
		if (r >= 0 && m->path[t])
			r = fwd_cfg_entries(f->bus, m->path[t], &raw, d);
		if (r >= 0 && m->path[t])
			r = fwd_entries_parse(&m->perm[t], raw, fwd_af[i]);
	}
	return r;
}

static int scan_sets(struct fwd *f, struct diag *d)
{
	char **names = NULL;
	int r;

	r = fwd_rt_ipsets(f->bus, &names, d);
	if (r >= 0)
		r = scan_named(f, names, false, d);
	fwd_strv_free(names);
	names = NULL;
	if (r >= 0)
		r = fwd_cfg_ipsets(f->bus, &names, d);
	if (r >= 0)
		r = scan_named(f, names, true, d);
	fwd_strv_free(names);
	return r;
}

static int scan_policy(struct fwd *f, struct diag *d)
{
	char **names = NULL;
	int r;

	r = fwd_rt_policies(f->bus, &names, d);
	f->rt_policy = r >= 0 && fwd_strv_has(names, FWD_POLICY);
	if (r >= 0 && f->rt_policy)
		r = fwd_rt_policy_rules(f->bus, FWD_POLICY, &f->rt_rules, d);
	if (r >= 0)
		r = fwd_cfg_policy_path(f->bus, FWD_POLICY, &f->policy_path, d);
	if (r >= 0 && f->policy_path)
		r = fwd_cfg_policy_rules(f->bus, f->policy_path, &f->perm_rules, d);
	if (r >= 0)
		r = rule_sources(f->rt_rules, f, false);
	if (r >= 0)
		r = rule_sources(f->perm_rules, f, true);
	fwd_strv_free(names);
	return r;
}

static int scan_old_zone(struct fwd *f, struct diag *d)
{
	struct fwd_zone z = { 0 };
	char **names = NULL;
	int r;

	r = fwd_rt_zones(f->bus, &names, d);
	f->rt_zone = r >= 0 && fwd_strv_has(names, FWD_ZONE);
	if (r >= 0 && f->rt_zone) {
		r = fwd_rt_zone(f->bus, FWD_ZONE, &z, d);
		f->rt_zone_sources = z.sources;
		z.sources = NULL;
		if (r >= 0)
			r = zone_sources(f->rt_zone_sources, f, false);
		fwd_zone_release(&z);
	}
	if (r >= 0)
		r = fwd_cfg_zone_path(f->bus, FWD_ZONE, &f->zone_path, d);
	if (r >= 0 && f->zone_path) {
		r = fwd_cfg_zone(f->bus, f->zone_path, &z, d);
		if (r >= 0)
			r = zone_sources(z.sources, f, true);
		fwd_zone_release(&z);
	}
	fwd_strv_free(names);
	return r;
}

int fwd_scan(struct fwd *f, struct diag *d)
{
	int r;

	fwd_scan_release(f);
	/* shard 0 of each family is always there to be created and named */
	r = fwd_shard_at(f, 0, 0) && fwd_shard_at(f, 1, 0) ? 0 : -ENOMEM;
	if (r >= 0)
		r = scan_sets(f, d);
	if (r >= 0)
		r = scan_policy(f, d);
	if (r >= 0)
		r = scan_old_zone(f, d);
	if (r < 0)
		return r;
	f->scanned = true;
	return 0;
}

#endif
