// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewalld backend (docs/architecture.md §4): policy cdnallow (ingress
 * zones ANY, egress HOST, priority -1) accepts the web ports with rich rules
 * `source ipset=cdnallow4 port port=443 protocol=tcp accept`; it adds access
 * for the CDN and takes nothing away from any zone (the source-bound zone of
 * earlier builds took the CDN out of zone public: no ssh for its addresses).
 * A long list is spread over range shards (cdnallow4, cdnallow4-1, ...;
 * fwd_shard.h), and twins (cdnallow4b, cdnallow4-1b, ...) let a large update
 * of a shard switch its rules to a filled set (see fwd_int.h and fwd_sync.c,
 * which applies). firewalld creates ipsets and policies only in its permanent
 * configuration, so the first sync needs one reload (fwd_create.c), and
 * carries every runtime-only setting across it (fwd_policy.c);
 * afterwards runtime and permanent configuration are kept equal over D-Bus
 * without any reload. flush never reloads: it empties the runtime objects and
 * removes the permanent ones. This file opens, reads, flushes and audits.
 * cdnallow's lockdown mode is not handled here: the engine drives the
 * nftables backend (lockdown_only) for the drop, which survives `firewall-cmd
 * --reload`. This file must never touch a zone, policy, ipset or setting not
 * named cdnallow*, and never reload.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend.h"
#include "build_config.h"
#include "diag.h"
#include "fwd_int.h"
#include "prefix_set.h"

#if HAVE_LIBNFTABLES
#include <nftables/libnftables.h>
#endif

#if HAVE_LIBSYSTEMD

static bool holds_nothing(const struct fwd_entries *e)
{
	return !e->raw || !e->raw[0];
}

/*
 * As apply leaves a shard: one twin named by the runtime and permanent rules,
 * holding the same at runtime and permanently, the other one empty in both;
 * or, unused, no twin named and both empty. Its entries go into sum. A shard
 * above size (2 * the shard size: the one set of earlier builds holding a
 * long list) is to be split, by the next sync, once firewalld has unused
 * shards at runtime (room).
 */
static int shard_complete(const struct fwd_shard *m, size_t size, struct prefix_set *sum, bool *ok)
{
	int a = fwd_active(m);

	if (a < 0) {
		*ok = *ok && !m->rt_src[0] && !m->rt_src[1] && !m->perm_src[0] && !m->perm_src[1];
		for (int t = 0; t < 2; t++)
			*ok = *ok && holds_nothing(&m->rt[t]) && holds_nothing(&m->perm[t]);
		return 0;
	}
	*ok = *ok && m->perm_src[a] && !m->perm_src[!a] && m->rt[a].raw && m->perm[a].raw;
	*ok = *ok && holds_nothing(&m->rt[!a]) && holds_nothing(&m->perm[!a]);
	*ok = *ok && m->rt[a].set->n <= size;
	if (!*ok)
		return 0;
	*ok = !m->rt[a].bad && !m->perm[a].bad &&
	      prefix_set_equal(m->rt[a].sorted, m->perm[a].sorted);
	return prefix_set_extend(sum, m->rt[a].set);
}

/* An unused shard of family i that firewalld has at runtime: an oversized one can split. */
static bool has_room(const struct fwd *f, int i)
{
	for (size_t k = 1; k < f->fam[i].n; k++) {
		const struct fwd_shard *m = &f->fam[i].sh[k];

		if (m->rt[0].raw && m->rt[1].raw && !m->rt_src[0] && !m->rt_src[1])
			return true;
	}
	return false;
}

/* As apply leaves a family: its shards complete, together holding exactly want. */
static int family_complete(const struct fwd *f, int i, const struct prefix_set *want, bool *ok)
{
	struct prefix_set *sum = prefix_set_new();
	size_t most = has_room(f, i) ? 2 * f->shard_size : SIZE_MAX;
	int r = sum ? 0 : -ENOMEM;

	*ok = true;
	for (size_t k = 0; r >= 0 && *ok && k < f->fam[i].n; k++)
		r = shard_complete(&f->fam[i].sh[k], most, sum, ok);
	*ok = *ok && r >= 0 && sum->n == want->n;
	if (*ok)
		r = prefix_set_aggregate(sum);
	*ok = *ok && r >= 0 && prefix_set_equal(sum, want);
	prefix_set_free(sum);
	return r;
}

/* firewalld's own nftables table in this network namespace: it runs, or ran, here. */
static bool has_fwd_table(void)
{
	bool found = false;
#if HAVE_LIBNFTABLES
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!ctx)
		return false;
	nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_TERSE);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	found = nft_run_cmd_from_buffer(ctx, "list table inet firewalld") == 0;
	nft_ctx_free(ctx);
#endif
	return found;
}

/*
 * Running on the bus: 40. Not on the bus and no trace of it: 0. Its tables
 * loaded but the bus or firewalld not answering is an error (-ENOTCONN), not a
 * reason for auto to pick a firewall that firewalld's drop overrides.
 */
static int fwd_detect(struct diag *d)
{
	struct fwd_bus *b = NULL;
	struct diag scratch;
	bool running = false;
	int r;

	diag_init(&scratch);
	r = fwd_bus_open(&b, 1, &scratch);
	if (r == 0)
		r = fwd_is_running(b, &running, &scratch);
	fwd_bus_free(b);
	if (!running && has_fwd_table()) {
		diag_err(d,
			 "firewalld's table inet firewalld is loaded but firewalld does not answer "
			 "on the system D-Bus (%s): start dbus and firewalld, or name the backend "
			 "with -b",
			 r < 0 && scratch.msg[0] ? scratch.msg : "firewalld is not on the bus");
		diag_release(&scratch);
		return -ENOTCONN;
	}
	diag_release(&scratch);
	return running ? 40 : 0;
}

static void fwd_close(void *h)
{
	struct fwd *f = h;

	if (!f)
		return;
	fwd_scan_release(f);
	free(f->fw_backend);
	fwd_bus_free(f->bus);
	free(f);
}

/*
 * FWD_SHARD_SIZE; CDNALLOW_FWD_SHARD_SIZE (8 and up) only lets the tests
 * exercise several shards with a short list. It is no setting.
 */
static size_t shard_size(void)
{
	const char *s = secure_getenv("CDNALLOW_FWD_SHARD_SIZE");
	char *end = NULL;
	unsigned long v;

	if (!s || !*s)
		return FWD_SHARD_SIZE;
	v = strtoul(s, &end, 10);
	return *end || v < 8 || v > FWD_SHARD_SIZE ? FWD_SHARD_SIZE : v;
}

static int fwd_open(const struct backend_cfg *cfg, void **handle, struct diag *d)
{
	struct fwd *f;
	bool running = false;
	char *state = NULL;
	int r;

	*handle = NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->cfg = cfg;
	f->shard_size = shard_size();
	r = fwd_bus_open(&f->bus, FWD_TIMEOUT_S, d);
	if (r < 0) {
		diag_prefix(d, "firewalld backend: ");
		goto out;
	}
	r = fwd_is_running(f->bus, &running, d);
	if (r >= 0 && !running) {
		diag_err(d, "firewalld is not running (nobody owns org.fedoraproject.FirewallD1 "
			    "on the system bus); start it or choose another backend");
		r = -ENOENT;
	}
	if (r >= 0)
		r = fwd_get_state(f->bus, &state, d);
	if (r >= 0 && strcmp(state, "RUNNING")) {
		diag_err(d, "firewalld is not ready (state '%s')", state);
		r = -EAGAIN;
	}
	/* firewalld < 0.6 has no FirewallBackend property: it always drives iptables. */
	if (r >= 0 && fwd_get_backend(f->bus, &f->fw_backend, NULL) < 0) {
		f->fw_backend = strdup("iptables");
		if (!f->fw_backend)
			r = -ENOMEM;
	}
	if (r == -EACCES)
		diag_prefix(d, "not allowed to manage firewalld (run as root; with firewalld "
			       "Lockdown=yes, whitelist cdnallow in lockdown-whitelist.xml): ");
out:
	free(state);
	if (r < 0) {
		fwd_close(f);
		return r;
	}
	*handle = f;
	return 0;
}

/* Anything of cdnallow's that allows or would allow something (flush leaves empty runtime copies).
 */
static bool is_present(const struct fwd *f)
{
	bool any = f->zone_path || f->policy_path || fwd_strv_len(f->rt_rules) ||
		   fwd_strv_len(f->rt_zone_sources);

	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < f->fam[i].n; k++) {
			const struct fwd_shard *m = &f->fam[i].sh[k];

			for (int t = 0; t < 2; t++)
				any = any || m->path[t] || !holds_nothing(&m->rt[t]);
		}
	}
	return any;
}

/*
 * The policy names exactly the configured ports of one twin per used shard,
 * shard 0 always; the old zone is gone.
 */
static int active_twin(const struct fwd *f, int i, size_t k, const void *arg)
{
	(void)arg;
	return fwd_active(&f->fam[i].sh[k]);
}

static int rules_complete(const struct fwd *f, bool *ok)
{
	char **want = NULL;
	int r;

	*ok = false;
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < f->fam[i].n; k++) {
			const struct fwd_shard *m = &f->fam[i].sh[k];

			if (fwd_active(m) < 0 && (!k || m->rt_src[0]))
				return 0;
		}
	}
	if (!f->rt_policy || !f->policy_path || f->zone_path || fwd_strv_len(f->rt_zone_sources))
		return 0;
	r = fwd_want_rules(f, active_twin, NULL, &want);
	if (r < 0)
		return r;
	*ok = fwd_strv_same(f->rt_rules, want) && fwd_strv_same(f->perm_rules, want);
	fwd_strv_free(want);
	return 0;
}

/* What the firewall allows: the entries of every ipset the runtime rules name. */
static int read_allowed(const struct fwd *f, struct prefix_set *set, size_t *used)
{
	int r = 0;

	*used = 0;
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < f->fam[i].n; k++) {
			const struct fwd_shard *m = &f->fam[i].sh[k];

			*used += m->rt_src[0] || m->rt_src[1];
			for (int t = 0; r >= 0 && t < 2; t++) {
				if (m->rt_src[t] && m->rt[t].raw)
					r = prefix_set_extend(set, m->rt[t].set);
			}
		}
	}
	return r;
}

static int fwd_read(void *h, struct backend_state *st, struct diag *d)
{
	struct fwd *f = h;
	struct prefix_set *fam = NULL;
	bool complete;
	size_t used = 0;
	int r;

	r = fwd_scan(f, d);
	if (r >= 0)
		r = rules_complete(f, &complete);
	if (r >= 0)
		r = read_allowed(f, st->set, &used);
	if (r >= 0)
		r = prefix_set_aggregate(st->set);
	if (r < 0)
		return r;
	fam = prefix_set_new();
	if (!fam)
		return -ENOMEM;
	for (int i = 0; r >= 0 && complete && i < 2; i++) {
		r = fwd_family_of(st->set, fwd_af[i], fam);
		if (r >= 0)
			r = family_complete(f, i, fam, &complete);
	}
	prefix_set_free(fam);
	if (r < 0)
		return r;
	st->present = is_present(f);
	st->complete = st->present && complete;
	snprintf(st->where, sizeof(st->where),
		 "firewalld policy %s with %zu ipset%s cdnallow4*/cdnallow6* in use (firewalld "
		 "backend %s)",
		 FWD_POLICY, used, used == 1 ? "" : "s", f->fw_backend);
	return 0;
}

static int fwd_apply(void *h, const struct plan *p, struct diag *d)
{
	return fwd_sync_apply(h, p, d);
}

/*
 * Without a reload: the runtime rules go first (nothing names the sets any
 * more), then the runtime entries; the runtime objects stay, empty, until
 * firewalld's next reload or restart, because firewalld cannot delete them at
 * runtime and a reload would drop every runtime-only setting of the host.
 */
static int flush_runtime(struct fwd *f, struct diag *d)
{
	static char *const none[] = { NULL };
	char name[FWD_NAME_MAX];
	int r = 0;

	if (fwd_strv_len(f->rt_rules))
		r = fwd_rt_set_policy_rules(f->bus, FWD_POLICY, none, d);
	for (char **s = f->rt_zone_sources; r >= 0 && s && *s; s++)
		r = fwd_rt_zone_source(f->bus, FWD_ZONE, *s, false, d);
	fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; r >= 0 && k < f->fam[i].n; k++) {
			for (int t = 0; r >= 0 && t < 2; t++) {
				if (holds_nothing(&f->fam[i].sh[k].rt[t]))
					continue;
				fwd_shard_name(name, i, k, t);
				r = fwd_rt_set_entries(f->bus, name, none, d);
			}
		}
	}
	fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
	return r;
}

/* The permanent objects: the policy and the old zone first, as they name the ipsets. */
static int remove_permanent(struct fwd *f, struct diag *d)
{
	int r = 0;

	if (f->policy_path)
		r = fwd_cfg_remove_policy(f->bus, f->policy_path, d);
	if (r >= 0 && f->zone_path)
		r = fwd_cfg_remove(f->bus, f->zone_path, true, d);
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; r >= 0 && k < f->fam[i].n; k++) {
			const struct fwd_shard *m = &f->fam[i].sh[k];

			for (int t = 0; r >= 0 && t < 2; t++) {
				if (m->path[t])
					r = fwd_cfg_remove(f->bus, m->path[t], false, d);
			}
		}
	}
	return r;
}

static int fwd_flush(void *h, struct diag *d)
{
	struct fwd *f = h;
	int r;

	r = fwd_scan(f, d);
	if (r >= 0)
		r = flush_runtime(f, d);
	if (r >= 0)
		r = remove_permanent(f, d);
	f->scanned = false;
	return r;
}

/*
 * backend_ops.undo_new. A first sync found no permanent object of ours, no
 * runtime rule and no runtime entry (is_present), so every permanent object of
 * ours is the failed apply's. Where it reloaded to create the runtime copies,
 * they go the same way: a reload once the permanent ones are gone, with every
 * runtime-only setting of the host carried across again. Without that reload
 * the runtime copies were there before, empty, and flush leaves them so.
 */
static int fwd_undo_new(void *h, struct diag *d)
{
	struct fwd *f = h;
	size_t failed = 0;
	int r;

	if (!f->failed_first)
		return 0;
	f->failed_first = false;
	if (!f->reloaded) {
		r = fwd_flush(f, d);
		return r < 0 ? r : 1;
	}
	r = fwd_scan(f, d);
	if (r >= 0)
		r = remove_permanent(f, d);
	if (r >= 0)
		r = fwd_reload_carrying(f, &failed, d);
	if (r >= 0 && failed)
		diag_warn(d,
			  "firewalld: %zu object(s) could not get their runtime settings back "
			  "after the reload (see above)",
			  failed);
	f->scanned = false;
	return r < 0 ? r : 1;
}

/* plan and sync say beforehand that this sync must reload firewalld. */
static int announce_reload(struct fwd *f, struct diag *d)
{
	char **policies = NULL, **sets = NULL;
	bool reload;
	int r;

	r = fwd_rt_policies(f->bus, &policies, d);
	if (r >= 0)
		r = fwd_rt_ipsets(f->bus, &sets, d);
	reload = r >= 0 && !fwd_strv_has(policies, FWD_POLICY);
	for (int i = 0; r >= 0 && i < 4; i++) {
		char name[FWD_NAME_MAX];

		fwd_shard_name(name, i / 2, 0, i % 2);
		reload = reload || !fwd_strv_has(sets, name);
	}
	if (reload)
		diag_warn(d,
			  "firewalld: the sync creates policy %s and ipsets cdnallow4/6(b) (and "
			  "cdnallow4-N/6-N(b) shards for a list above %zu prefixes), which "
			  "takes one firewalld reload; the runtime-only settings of every zone, "
			  "policy and ipset (e.g. firewall-cmd --add-port without --permanent, "
			  "fail2ban's rich rules) are read before it and restored after it",
			  FWD_POLICY, 2 * f->shard_size);
	fwd_strv_free(policies);
	fwd_strv_free(sets);
	return r;
}

static int fwd_audit(void *h, struct diag *d)
{
	struct fwd *f = h;
	struct fwd_zone z = { 0 };
	char *zone = NULL, port[16];
	int r;

	r = fwd_get_default_zone(f->bus, &zone, d);
	if (r >= 0)
		r = fwd_rt_zone(f->bus, zone, &z, d);
	if (r >= 0)
		r = announce_reload(f, d);
	if (r < 0)
		goto out;
	if (z.target && !strcmp(z.target, "ACCEPT"))
		diag_warn(d,
			  "firewalld default zone '%s' accepts everything: the allowlist "
			  "restricts nothing",
			  zone);
	for (size_t i = 0; i < f->cfg->nports; i++) {
		snprintf(port, sizeof(port), "%u/tcp", (unsigned)f->cfg->ports[i]);
		if (fwd_strv_has(z.ports, port))
			diag_warn(d,
				  "firewalld zone '%s' opens %s to everyone: the allowlist "
				  "restricts nothing there",
				  zone, port);
	}
out:
	fwd_zone_release(&z);
	free(zone);
	return r;
}

const struct backend_ops backend_firewalld = {
	.name = "firewalld",
	.summary = "firewalld policy cdnallow with ipsets cdnallow4/6 (range shards of 2000, each "
		   "with a b twin for swaps), no reloads",
	.detect = fwd_detect,
	.open = fwd_open,
	.read = fwd_read,
	.apply = fwd_apply,
	.undo_new = fwd_undo_new,
	.flush = fwd_flush,
	.audit = fwd_audit,
	.close = fwd_close,
};

#else /* !HAVE_LIBSYSTEMD */

static int fwd_detect(struct diag *d)
{
	(void)d;
	return 0;
}

static int fwd_open(const struct backend_cfg *cfg, void **handle, struct diag *d)
{
	struct fwd_bus *b = NULL;

	(void)cfg;
	*handle = NULL;
	return fwd_bus_open(&b, 1, d);
}

const struct backend_ops backend_firewalld = {
	.name = "firewalld",
	.summary = "firewalld (unavailable: built without libsystemd)",
	.detect = fwd_detect,
	.open = fwd_open,
};

#endif
