// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Object creation of the firewalld backend: the policy and the shards' ipsets
 * a sync needs. firewalld creates ipsets and policies only in its permanent
 * configuration and makes runtime copies of them at its next reload, so a
 * sync that needs a shard firewalld has no runtime copy of reloads once, with
 * every runtime-only setting of the host carried across (fwd_policy.c). That
 * reload also brings a quarter more spare shards, so that a list growing by
 * splits of its shards does not need another one soon. This file must never
 * reload for anything else and never touch an object not named cdnallow*.
 */
#include <errno.h>
#include <stdlib.h>

#include "backend.h"
#include "diag.h"
#include "fwd_int.h"

#if HAVE_LIBSYSTEMD

int fwd_reload_carrying(struct fwd *f, size_t *failed, struct diag *d)
{
	struct fwd_carry *c = NULL;
	int r;

	*failed = 0;
	r = fwd_carry_save(f->bus, "cdnallow", &c, d);
	if (r < 0) {
		diag_prefix(d, "reading firewalld's runtime settings before the reload: ");
		return r;
	}
	f->reloaded = true;
	fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
	r = fwd_reload(f->bus, d);
	fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
	if (r >= 0)
		r = fwd_carry_restore(f->bus, c, failed, d);
	fwd_carry_free(c);
	return r;
}

static int reload_carrying(struct fwd *f, struct diag *d)
{
	size_t failed = 0;
	int r = fwd_reload_carrying(f, &failed, d);

	if (r >= 0 && !failed)
		diag_warn(d,
			  "firewalld: created policy %s and ipsets; one reload was needed, and "
			  "the runtime-only settings were restored after it",
			  FWD_POLICY);
	else if (r >= 0)
		diag_warn(d,
			  "firewalld: created policy %s and ipsets with one reload; %zu "
			  "object(s) could not get their runtime settings back (see above)",
			  FWD_POLICY, failed);
	return r;
}

/* Spare shards made with a reload: a quarter more, none for a list that fits one shard. */
static size_t with_spares(size_t n, bool reload)
{
	return reload && n > 1 ? n + n / 4 + 2 : n;
}

/* Permanent ipsets of shards 0 .. upto - 1 of family i that are missing. */
static int add_ipsets(struct fwd *f, int i, size_t upto, bool *created, struct diag *d)
{
	char name[FWD_NAME_MAX];
	int r = 0;

	for (size_t k = 0; r >= 0 && k < upto; k++) {
		struct fwd_shard *m = fwd_shard_at(f, i, k);

		if (!m)
			return -ENOMEM;
		for (int t = 0; r >= 0 && t < 2; t++) {
			if (m->path[t])
				continue;
			fwd_shard_name(name, i, k, t);
			r = fwd_cfg_add_ipset(f->bus, name, fwd_set_family[i], FWD_DESC, d);
			*created = true;
		}
	}
	return r;
}

/* The permanent policy, naming what the runtime rules name now, so that a reload changes nothing.
 */
static int add_policy(struct fwd *f, struct diag *d)
{
	char **rules = NULL;
	int r;

	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < f->fam[i].n; k++) {
			struct fwd_shard *m = &f->fam[i].sh[k];

			m->act = m->rt_src[0] ? 0 : m->rt_src[1] ? 1 : k ? -1 : 0;
		}
	}
	r = fwd_want_rules(f, &rules);
	if (r >= 0)
		r = fwd_cfg_put_policy(f->bus, FWD_POLICY, NULL, rules, FWD_DESC, d);
	fwd_strv_free(rules);
	return r;
}

int fwd_ensure_objects(struct fwd *f, const struct fwd_part part[2], struct diag *d)
{
	bool reload = !f->rt_policy, created = !f->policy_path;
	int r = 0;

	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < part[i].n; k++) {
			struct fwd_shard *m = fwd_shard_at(f, i, k);

			if (!m)
				return -ENOMEM;
			reload = reload || !m->rt[0].raw || !m->rt[1].raw;
		}
	}
	for (int i = 0; r >= 0 && i < 2; i++)
		r = add_ipsets(f, i, with_spares(part[i].n, reload), &created, d);
	/*
	 * firewalld refuses a policy named like a zone: the old permanent zone
	 * goes first; its runtime copy allows the CDN until the reload swaps it
	 * for the policy.
	 */
	if (r >= 0 && !f->policy_path && f->zone_path) {
		r = fwd_cfg_remove(f->bus, f->zone_path, true, d);
		if (r < 0)
			diag_prefix(d, "removing the old zone %s: ", FWD_ZONE);
	}
	if (r >= 0 && !f->policy_path)
		r = add_policy(f, d);
	if (r >= 0 && reload)
		r = reload_carrying(f, d);
	/* Paths of the new permanent objects; after a reload, the runtime ones too. */
	if (r >= 0 && (reload || created))
		r = fwd_scan(f, d);
	return r;
}

#endif
