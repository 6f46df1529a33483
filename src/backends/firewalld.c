// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewalld backend (docs/architecture.md §4): ipsets cdnallow4/cdnallow6 (hash:net)
 * are the sources of zone cdnallow, which accepts the ports; twins
 * cdnallow4b/cdnallow6b let a large update swap the zone's source (see
 * fwd_int.h and fwd_sync.c, which applies). firewalld creates ipsets and
 * zones only in its permanent configuration, so the first sync creates them
 * empty and reloads once; afterwards runtime and permanent configuration are
 * kept equal over D-Bus without any reload, because a reload installs a
 * drop-all for its duration. This file opens, reads, flushes and audits.
 * cdnallow's lockdown mode is not
 * handled here: the engine drives the nftables backend (lockdown_only) for the
 * drop, which survives `firewall-cmd --reload`. This file must never touch a
 * zone, ipset or setting not named cdnallow*, and never reload outside object
 * creation and flush.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend.h"
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

static void scan_release(struct fwd *f)
{
	free(f->zone_path);
	f->zone_path = NULL;
	fwd_zone_release(&f->rtz);
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

int fwd_want_zone(const struct fwd *f, const int act[2], struct fwd_zone *z)
{
	size_t n = f->cfg->nports;

	memset(z, 0, sizeof(*z));
	z->sources = calloc(3, sizeof(char *));
	z->ports = calloc(n + 1, sizeof(char *));
	if (!z->sources || !z->ports)
		goto nomem;
	for (int i = 0; i < 2; i++) {
		z->sources[i] = strdup(fwd_set_source[i][act[i]]);
		if (!z->sources[i])
			goto nomem;
	}
	for (size_t i = 0; i < n; i++) {
		if (asprintf(&z->ports[i], "%u/tcp", (unsigned)f->cfg->ports[i]) < 0) {
			z->ports[i] = NULL;
			goto nomem;
		}
	}
	return 0;
nomem:
	fwd_zone_release(z);
	return -ENOMEM;
}

int fwd_active(const struct fwd_fam *m)
{
	if (m->rt_src[0] == m->rt_src[1])
		return -1;
	return m->rt_src[0] ? 0 : 1;
}

static bool strv_same(char *const *a, char *const *b)
{
	if (fwd_strv_len(a) != fwd_strv_len(b))
		return false;
	for (; a && *a; a++) {
		if (!fwd_strv_has(b, *a))
			return false;
	}
	return true;
}

/* Marks which cdnallow ipsets z uses as sources; true when it uses any other source. */
static bool zone_sources(const struct fwd_zone *z, struct fwd *f, bool perm)
{
	size_t ours = 0;

	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < 2; k++) {
			bool has = fwd_strv_has(z->sources, fwd_set_source[i][k]);

			if (perm)
				f->fam[i].perm_src[k] = has;
			else
				f->fam[i].rt_src[k] = has;
			ours += has;
		}
	}
	return fwd_strv_len(z->sources) != ours;
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

int fwd_scan(struct fwd *f, struct diag *d)
{
	static const int any[2] = { 0, 0 };
	struct fwd_zone want = { 0 }, z = { 0 };
	char **names = NULL;
	int r;

	scan_release(f);
	r = fwd_want_zone(f, any, &want);
	if (r >= 0)
		r = scan_sets(f, d);
	if (r >= 0)
		r = fwd_rt_zones(f->bus, &names, d);
	f->rt_zone = r >= 0 && fwd_strv_has(names, FWD_ZONE);
	if (r >= 0 && f->rt_zone) {
		r = fwd_rt_zone(f->bus, FWD_ZONE, &f->rtz, d);
		f->rt_ports_ok = r >= 0 && strv_same(f->rtz.ports, want.ports);
		f->rt_foreign = r >= 0 && zone_sources(&f->rtz, f, false);
	}
	if (r >= 0)
		r = fwd_cfg_zone_path(f->bus, FWD_ZONE, &f->zone_path, d);
	if (r >= 0 && f->zone_path) {
		r = fwd_cfg_zone(f->bus, f->zone_path, &z, d);
		f->cfg_ports_ok = r >= 0 && strv_same(z.ports, want.ports);
		f->cfg_foreign = r >= 0 && zone_sources(&z, f, true);
		fwd_zone_release(&z);
	}
	fwd_strv_free(names);
	fwd_zone_release(&want);
	if (r < 0)
		return r;
	f->scanned = true;
	return 0;
}

/*
 * As apply leaves a family: one ipset the source of both zones, holding
 * exactly want at runtime and in the permanent configuration, the other one
 * empty in both.
 */
static bool family_complete(const struct fwd *f, int i, const struct prefix_set *want)
{
	const struct fwd_fam *m = &f->fam[i];
	int a = fwd_active(m);

	if (a < 0 || !m->perm_src[a] || m->perm_src[!a])
		return false;
	if (!fwd_entries_is_empty(&m->rt[!a]) || !fwd_entries_is_empty(&m->perm[!a]))
		return false;
	return fwd_entries_equal(&m->rt[a], want) && fwd_entries_equal(&m->perm[a], want);
}

static int fwd_detect(struct diag *d)
{
	struct fwd_bus *b = NULL;
	struct diag scratch;
	bool running = false;

	(void)d;
	diag_init(&scratch);
	/* No system bus, or a bus that does not answer within 1 s, means no firewalld. */
	if (fwd_bus_open(&b, 1, &scratch) == 0)
		fwd_is_running(b, &running, &scratch);
	fwd_bus_free(b);
	diag_release(&scratch);
	return running ? 40 : 0;
}

static void fwd_close(void *h)
{
	struct fwd *f = h;

	if (!f)
		return;
	scan_release(f);
	free(f->fw_backend);
	fwd_bus_free(f->bus);
	free(f);
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

static int fwd_read(void *h, struct backend_state *st, struct diag *d)
{
	struct fwd *f = h;
	struct prefix_set *fam = NULL;
	bool present, complete;
	int r, act[2];

	r = fwd_scan(f, d);
	if (r < 0)
		return r;
	present = f->rt_zone || f->zone_path;
	complete = f->rt_zone && f->zone_path && f->rt_ports_ok && f->cfg_ports_ok &&
		   !f->rt_foreign && !f->cfg_foreign;
	/* What the firewall allows: the entries of every ipset the runtime zone uses. */
	for (int i = 0; i < 2; i++) {
		for (int k = 0; k < 2; k++) {
			struct fwd_fam *m = &f->fam[i];

			present = present || m->rt[k].raw || m->perm[k].raw;
			if (!m->rt_src[k] || !m->rt[k].raw)
				continue;
			r = prefix_set_extend(st->set, m->rt[k].set);
			if (r < 0)
				return r;
		}
	}
	r = prefix_set_aggregate(st->set);
	if (r < 0)
		return r;
	fam = prefix_set_new();
	if (!fam)
		return -ENOMEM;
	for (int i = 0; r >= 0 && complete && i < 2; i++) {
		r = fwd_family_of(st->set, fwd_af[i], fam);
		complete = r >= 0 && family_complete(f, i, fam);
	}
	prefix_set_free(fam);
	if (r < 0)
		return r;
	st->present = present;
	st->complete = present && complete;
	for (int i = 0; i < 2; i++)
		act[i] = fwd_active(&f->fam[i]) == 1;
	snprintf(st->where, sizeof(st->where),
		 "firewalld zone %s with ipsets %s/%s (firewalld backend %s)", FWD_ZONE,
		 fwd_set_name[0][act[0]], fwd_set_name[1][act[1]], f->fw_backend);
	return 0;
}

static int fwd_apply(void *h, const struct plan *p, struct diag *d)
{
	return fwd_sync_apply(h, p, d);
}

static int fwd_flush(void *h, struct diag *d)
{
	struct fwd *f = h;
	bool any;
	int r;

	r = fwd_scan(f, d);
	if (r < 0)
		return r;
	any = f->rt_zone;
	/* The zone goes first: it references the ipsets. */
	if (f->zone_path) {
		r = fwd_cfg_remove(f->bus, f->zone_path, true, d);
		any = true;
	}
	for (int i = 0; r >= 0 && i < 4; i++) {
		const struct fwd_fam *m = &f->fam[i / 2];

		any = any || m->rt[i % 2].raw;
		if (!m->path[i % 2])
			continue;
		r = fwd_cfg_remove(f->bus, m->path[i % 2], false, d);
		any = true;
	}
	if (r >= 0 && any) {
		fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
		r = fwd_reload(f->bus, d);
		fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
		if (r >= 0)
			diag_warn(d, "firewalld: removed zone %s and ipsets; one reload was needed",
				  FWD_ZONE);
	}
	f->scanned = false;
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
	.summary =
		"firewalld zone cdnallow with ipsets cdnallow4/6 (+ b twins for swaps), no reloads",
	.detect = fwd_detect,
	.open = fwd_open,
	.read = fwd_read,
	.apply = fwd_apply,
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
