// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewalld backend's model of what it owns: the names of the ipsets and
 * their twins, the rich rules a family wants, and the scan that reads every
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

const char *const fwd_set_name[2][2] = { { "cdnallow4", "cdnallow4b" },
					 { "cdnallow6", "cdnallow6b" } };
const char *const fwd_set_source[2][2] = { { "ipset:cdnallow4", "ipset:cdnallow4b" },
					   { "ipset:cdnallow6", "ipset:cdnallow6b" } };
const char *const fwd_set_family[2] = { "inet", "inet6" };
const int fwd_af[2] = { AF_INET, AF_INET6 };

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
		for (int k = 0; k < 2; k++) {
			free(f->fam[i].path[k]);
			fwd_entries_release(&f->fam[i].rt[k]);
			fwd_entries_release(&f->fam[i].perm[k]);
		}
		memset(&f->fam[i], 0, sizeof(f->fam[i]));
	}
	f->scanned = false;
}

/* The rich rule accepting port from ipset k of family i, as firewalld 1.x normalizes it. */
static char *rule_for(int i, int k, unsigned port)
{
	char *s;

	if (asprintf(&s,
		     "rule family=\"%s\" source ipset=\"%s\" port port=\"%u\" protocol=\"tcp\" "
		     "accept",
		     i ? "ipv6" : "ipv4", fwd_set_name[i][k], port) < 0)
		return NULL;
	return s;
}

int fwd_want_rules(const struct fwd *f, const int act[2], char ***out)
{
	size_t n = f->cfg->nports, j = 0;
	char **v;

	*out = NULL;
	v = calloc(2 * n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < 2; i++) {
		for (size_t p = 0; p < n; p++) {
			v[j] = rule_for(i, act[i], f->cfg->ports[p]);
			if (!v[j++]) {
				fwd_strv_free(v);
				return -ENOMEM;
			}
		}
	}
	*out = v;
	return 0;
}

int fwd_active(const struct fwd_fam *m)
{
	if (m->rt_src[0] == m->rt_src[1])
		return -1;
	return m->rt_src[0] ? 0 : 1;
}

/* Marks which cdnallow ipsets the rules name (`source ipset="cdnallow4" `). */
static void rule_sources(char *const *rules, struct fwd *f, bool perm)
{
	char key[64];

	for (int i = 0; i < 4; i++) {
		struct fwd_fam *m = &f->fam[i / 2];
		bool *src = perm ? &m->perm_src[i % 2] : &m->rt_src[i % 2];

		snprintf(key, sizeof(key), " source ipset=\"%s\" ", fwd_set_name[i / 2][i % 2]);
		for (char *const *r = rules; r && *r; r++)
			*src = *src || strstr(*r, key);
	}
}

/* The old zone's ipset sources count as in use: until migrated, they allow the CDN. */
static void zone_sources(char *const *sources, struct fwd *f, bool perm)
{
	for (int i = 0; i < 4; i++) {
		struct fwd_fam *m = &f->fam[i / 2];
		bool *src = perm ? &m->perm_src[i % 2] : &m->rt_src[i % 2];

		*src = *src || fwd_strv_has(sources, fwd_set_source[i / 2][i % 2]);
	}
}

static int scan_sets(struct fwd *f, struct diag *d)
{
	char **names = NULL, **raw = NULL;
	int r;

	r = fwd_rt_ipsets(f->bus, &names, d);
	for (int i = 0; r >= 0 && i < 4; i++) {
		struct fwd_fam *m = &f->fam[i / 2];
		const char *name = fwd_set_name[i / 2][i % 2];

		if (!fwd_strv_has(names, name))
			continue;
		r = fwd_rt_entries(f->bus, name, &raw, d);
		if (r >= 0)
			r = fwd_entries_parse(&m->rt[i % 2], raw, fwd_af[i / 2]);
	}
	for (int i = 0; r >= 0 && i < 4; i++) {
		struct fwd_fam *m = &f->fam[i / 2];
		char **path = &m->path[i % 2];

		r = fwd_cfg_ipset_path(f->bus, fwd_set_name[i / 2][i % 2], path, d);
		if (r >= 0 && *path)
			r = fwd_cfg_entries(f->bus, *path, &raw, d);
		if (r >= 0 && *path)
			r = fwd_entries_parse(&m->perm[i % 2], raw, fwd_af[i / 2]);
	}
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
	rule_sources(f->rt_rules, f, false);
	rule_sources(f->perm_rules, f, true);
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
		zone_sources(f->rt_zone_sources, f, false);
		fwd_zone_release(&z);
	}
	if (r >= 0)
		r = fwd_cfg_zone_path(f->bus, FWD_ZONE, &f->zone_path, d);
	if (r >= 0 && f->zone_path) {
		r = fwd_cfg_zone(f->bus, f->zone_path, &z, d);
		if (r >= 0)
			zone_sources(z.sources, f, true);
		fwd_zone_release(&z);
	}
	fwd_strv_free(names);
	return r;
}

int fwd_scan(struct fwd *f, struct diag *d)
{
	int r;

	fwd_scan_release(f);
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
