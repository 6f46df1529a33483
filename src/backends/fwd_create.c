// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Object creation of the firewalld backend: the policy and the shards' ipsets
 * a sync needs. firewalld creates ipsets and policies only in its permanent
 * configuration and makes runtime copies of them at its next reload. A
 * reload drops every packet while firewalld rebuilds its rules (firewalld 1.3
 * loads its table firewalld_policy_drop meanwhile, fw.py reload()): so cdnallow reloads only while
 * firewalld allows nothing of ours, i.e. at the first sync, with every
 * runtime-only setting of the host carried across (fwd_policy.c), and makes a
 * quarter more spare shards then, so that a growing list splits its shards
 * without another one. Shards needed later (a list that outgrew the spares,
 * a host synced by a build without shards) are made permanently only: they
 * take effect at firewalld's next reload or restart, and the list keeps the
 * shards it has until then. This file must never reload for anything else
 * and never touch an object not named cdnallow*.
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

/* Spare shards: a quarter more, none for a list that fits one shard. */
static size_t with_spares(size_t n)
{
	return n > 1 ? n + n / 4 + 2 : n;
}

/* Some ipset the runtime rules (or the old zone) name holds entries: a reload would drop them. */
static bool allows_some(const struct fwd *f)
{
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < f->fam[i].n; k++) {
			const struct fwd_shard *m = &f->fam[i].sh[k];

			for (int t = 0; t < 2; t++) {
				if (m->rt_src[t] && m->rt[t].raw && m->rt[t].raw[0])
					return true;
			}
		}
	}
	return false;
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

/* The twin the runtime rules name now (a first), shard 0 always. */
static int named_now(const struct fwd *f, int i, size_t k, const void *arg)
{
	const struct fwd_shard *m = &f->fam[i].sh[k];

	(void)arg;
	return m->rt_src[0] ? 0 : m->rt_src[1] ? 1 : k ? -1 : 0;
}

/* The permanent policy, naming what the runtime rules name now, so that a reload changes nothing.
 */
static int add_policy(struct fwd *f, struct diag *d)
{
	char **rules = NULL;
	int r;

	r = fwd_want_rules(f, named_now, NULL, &rules);
	if (r >= 0)
		r = fwd_cfg_put_policy(f->bus, FWD_POLICY, NULL, rules, FWD_DESC, d);
	fwd_strv_free(rules);
	return r;
}

int fwd_ensure_objects(struct fwd *f, const struct fwd_part part[2], bool *limited, struct diag *d)
{
	bool missing = false, reload, created = !f->policy_path;
	int r = 0;

	*limited = false;
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < part[i].n; k++) {
			struct fwd_shard *m = fwd_shard_at(f, i, k);

			if (!m)
				return -ENOMEM;
			missing = missing || !m->rt[0].raw || !m->rt[1].raw;
		}
	}
	/* the old zone's firewalld has no policy at runtime: only a reload makes one */
	reload = !f->rt_policy || (missing && !allows_some(f));
	for (int i = 0; r >= 0 && i < 2; i++)
		r = add_ipsets(f, i, missing ? with_spares(part[i].n) : part[i].n, &created, d);
	if (r >= 0 && missing && !reload) {
		*limited = true;
		diag_warn(d,
			  "firewalld: the list needs more ipsets than firewalld has at "
			  "runtime; they are made permanently and take effect at firewalld's next "
			  "reload or restart (cdnallow does not reload a firewalld that allows "
			  "the list: it drops every packet meanwhile); until then the list keeps "
			  "its current ipsets");
	}
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
