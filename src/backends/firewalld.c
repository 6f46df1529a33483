// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewalld backend (DESIGN.md §4): ipsets cdnallow4/cdnallow6 (hash:net)
 * are the sources of zone cdnallow, which accepts the ports. firewalld creates
 * ipsets and zones only in its permanent configuration, so the first sync
 * creates them empty and reloads once; afterwards runtime and permanent
 * entries are kept equal over D-Bus without any reload, because a reload
 * installs a drop-all for its duration. cdnallow's lockdown mode is not
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
#include "fwd_dbus.h"
#include "fwd_entries.h"
#include "plan.h"
#include "prefix_set.h"

#if FWD_HAVE_SDBUS

#define FWD_ZONE "cdnallow"
#define FWD_DESC "managed by cdnallow: CDN ranges allowed to the web ports"
#define FWD_TIMEOUT_S 30
/* Bulk entry lists and reloads of large sets take minutes in firewalld 1.3. */
#define FWD_BULK_TIMEOUT_S 1800

static const char *const set_name[2] = { "cdnallow4", "cdnallow6" };
static const char *const set_family[2] = { "inet", "inet6" };
static const char *const set_source[2] = { "ipset:cdnallow4", "ipset:cdnallow6" };
static const int af[2] = { AF_INET, AF_INET6 };

struct fwd {
	const struct backend_cfg *cfg;
	struct fwd_bus *bus;
	char *fw_backend;
	bool scanned;
	bool rt_zone, rt_zone_ok, cfg_zone_ok;
	char *zone_path;
	char *set_path[2];
	struct fwd_entries rt[2], perm[2];
};

static void scan_release(struct fwd *f)
{
	free(f->zone_path);
	f->zone_path = NULL;
	for (int i = 0; i < 2; i++) {
		free(f->set_path[i]);
		f->set_path[i] = NULL;
		fwd_entries_release(&f->rt[i]);
		fwd_entries_release(&f->perm[i]);
	}
	f->scanned = false;
}

static int want_zone(const struct fwd *f, struct fwd_zone *z)
{
	size_t n = f->cfg->nports;

	memset(z, 0, sizeof(*z));
	z->sources = calloc(3, sizeof(char *));
	z->ports = calloc(n + 1, sizeof(char *));
	if (!z->sources || !z->ports)
		goto nomem;
	for (int i = 0; i < 2; i++) {
		z->sources[i] = strdup(set_source[i]);
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

static bool zone_ok(const struct fwd_zone *have, const struct fwd_zone *want)
{
	return strv_same(have->sources, want->sources) && strv_same(have->ports, want->ports);
}

/* Reads every cdnallow object, runtime and permanent, into f. */
static int scan(struct fwd *f, struct diag *d)
{
	struct fwd_zone want = { 0 }, z = { 0 };
	char **names = NULL, **raw = NULL;
	int r;

	scan_release(f);
	r = want_zone(f, &want);
	if (r < 0)
		return r;
	r = fwd_rt_ipsets(f->bus, &names, d);
	for (int i = 0; r >= 0 && i < 2; i++) {
		if (!fwd_strv_has(names, set_name[i]))
			continue;
		r = fwd_rt_entries(f->bus, set_name[i], &raw, d);
		if (r >= 0)
			r = fwd_entries_parse(&f->rt[i], raw, af[i]);
	}
	for (int i = 0; r >= 0 && i < 2; i++) {
		r = fwd_cfg_ipset_path(f->bus, set_name[i], &f->set_path[i], d);
		if (r >= 0 && f->set_path[i])
			r = fwd_cfg_entries(f->bus, f->set_path[i], &raw, d);
		if (r >= 0 && f->set_path[i])
			r = fwd_entries_parse(&f->perm[i], raw, af[i]);
	}
	fwd_strv_free(names);
	names = NULL;
	if (r >= 0)
		r = fwd_rt_zones(f->bus, &names, d);
	f->rt_zone = r >= 0 && fwd_strv_has(names, FWD_ZONE);
	f->rt_zone_ok = false;
	if (r >= 0 && f->rt_zone) {
		r = fwd_rt_zone(f->bus, FWD_ZONE, &z, d);
		f->rt_zone_ok = r >= 0 && zone_ok(&z, &want);
		fwd_zone_release(&z);
	}
	if (r >= 0)
		r = fwd_cfg_zone_path(f->bus, FWD_ZONE, &f->zone_path, d);
	f->cfg_zone_ok = false;
	if (r >= 0 && f->zone_path) {
		r = fwd_cfg_zone(f->bus, f->zone_path, &z, d);
		f->cfg_zone_ok = r >= 0 && zone_ok(&z, &want);
		fwd_zone_release(&z);
	}
	fwd_strv_free(names);
	fwd_zone_release(&want);
	if (r < 0)
		return r;
	f->scanned = true;
	return 0;
}

static bool objects_complete(const struct fwd *f)
{
	bool ok = f->rt_zone_ok && f->cfg_zone_ok;

	for (int i = 0; i < 2; i++)
		ok = ok && f->rt[i].raw && f->perm[i].raw;
	return ok;
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
	bool present = false, complete;
	struct prefix_set *agg = NULL;
	int r;

	r = scan(f, d);
	if (r < 0)
		return r;
	complete = objects_complete(f);
	present = f->rt_zone || f->zone_path;
	for (int i = 0; i < 2; i++) {
		present = present || f->rt[i].raw || f->perm[i].raw;
		if (!f->rt[i].raw)
			continue;
		r = prefix_set_extend(st->set, f->rt[i].set);
		if (r < 0)
			return r;
	}
	r = prefix_set_aggregate(st->set);
	if (r < 0)
		return r;
	/* Permanent must equal runtime, and both must already be in aggregated form. */
	agg = prefix_set_new();
	if (!agg)
		return -ENOMEM;
	for (int i = 0; r >= 0 && complete && i < 2; i++) {
		r = fwd_family_of(st->set, af[i], agg);
		complete = r >= 0 && fwd_entries_equal(&f->rt[i], agg) &&
			   fwd_entries_equal(&f->perm[i], agg);
	}
	prefix_set_free(agg);
	if (r < 0)
		return r;
	st->present = present;
	st->complete = present && complete;
	snprintf(st->where, sizeof(st->where),
		 "firewalld zone %s with ipsets %s/%s (firewalld backend %s)", FWD_ZONE,
		 set_name[0], set_name[1], f->fw_backend);
	return 0;
}

/* Creates what is missing; one reload when firewalld needs it to see new objects. */
static int ensure_objects(struct fwd *f, struct diag *d)
{
	struct fwd_zone want = { 0 }, z = { 0 };
	bool created = false;
	int r;

	r = want_zone(f, &want);
	for (int i = 0; r >= 0 && i < 2; i++) {
		if (f->set_path[i])
			continue;
		r = fwd_cfg_add_ipset(f->bus, set_name[i], set_family[i], FWD_DESC, d);
		created = true;
	}
	if (r >= 0 && (!f->zone_path || !f->cfg_zone_ok)) {
		r = fwd_cfg_put_zone(f->bus, FWD_ZONE, f->zone_path, &want, FWD_DESC, d);
		created = created || !f->zone_path;
	}
	if (r >= 0 && (created || !f->rt_zone || !f->rt[0].raw || !f->rt[1].raw)) {
		fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
		r = fwd_reload(f->bus, d);
		fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
		if (r >= 0)
			diag_warn(d, "firewalld: created zone %s and ipsets; one reload was needed",
				  FWD_ZONE);
		if (r >= 0)
			r = scan(f, d);
	}
	/* Runtime zone drift (ports changed, a source removed) is fixed without reload. */
	if (r >= 0 && !f->rt_zone_ok) {
		r = fwd_rt_zone(f->bus, FWD_ZONE, &z, d);
		for (char **p = want.ports; r >= 0 && *p; p++) {
			if (!fwd_strv_has(z.ports, *p))
				r = fwd_rt_zone_port(f->bus, FWD_ZONE, *p, true, d);
		}
		for (char **p = want.sources; r >= 0 && *p; p++) {
			if (!fwd_strv_has(z.sources, *p))
				r = fwd_rt_zone_source(f->bus, FWD_ZONE, *p, true, d);
		}
		for (char **p = z.ports; r >= 0 && p && *p; p++) {
			if (!fwd_strv_has(want.ports, *p))
				r = fwd_rt_zone_port(f->bus, FWD_ZONE, *p, false, d);
		}
		for (char **p = z.sources; r >= 0 && p && *p; p++) {
			if (!fwd_strv_has(want.sources, *p))
				r = fwd_rt_zone_source(f->bus, FWD_ZONE, *p, false, d);
		}
	}
	fwd_zone_release(&z);
	fwd_zone_release(&want);
	return r;
}

static void explain_overlap(const struct fwd_entries *rt, const struct prefix *p, int i,
			    struct diag *d)
{
	char want[PREFIX_STRLEN];

	prefix_format(p, want, sizeof(want));
	for (size_t k = 0; k < rt->set->n; k++) {
		if (!prefix_contains(&rt->set->v[k], p) && !prefix_contains(p, &rt->set->v[k]))
			continue;
		diag_prefix(d,
			    "ipset %s: %s overlaps entry %s added outside cdnallow; remove it with "
			    "'firewall-cmd --ipset=%s --remove-entry=%s' (and --permanent): ",
			    set_name[i], want, rt->raw[k], set_name[i], rt->raw[k]);
		return;
	}
	diag_prefix(d, "ipset %s: adding %s: ", set_name[i], want);
}

/*
 * Runtime entries, one family, one direction. firewalld 1.3 has no runtime
 * addEntries/removeEntries and its runtime setEntries flushes the set before
 * refilling it in separate transactions, so setEntries is used only on an
 * empty set; otherwise one addEntry/removeEntry per prefix, each atomic.
 */
static int sync_runtime(struct fwd *f, int i, const struct prefix_set *want, bool add,
			struct diag *d)
{
	struct fwd_entries *rt = &f->rt[i];
	char **v = NULL, buf[PREFIX_STRLEN];
	int r = 0;

	if (add && rt->set->n == 0 && rt->bad == 0) {
		if (want->n == 0)
			return 0;
		v = fwd_format_strv(want);
		if (!v)
			return -ENOMEM;
		fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
		r = fwd_rt_set_entries(f->bus, set_name[i], v, d);
		fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
		free(v);
		if (r < 0)
			diag_prefix(d, "ipset %s: ", set_name[i]);
		return r;
	}
	if (add) {
		for (size_t k = 0; r >= 0 && k < want->n; k++) {
			if (fwd_set_has(rt->sorted, &want->v[k]))
				continue;
			prefix_format(&want->v[k], buf, sizeof(buf));
			r = fwd_rt_entry(f->bus, set_name[i], buf, true, d);
			if (r < 0)
				explain_overlap(rt, &want->v[k], i, d);
		}
		return r;
	}
	for (char **s = rt->raw; r >= 0 && s && *s; s++) {
		struct prefix p;

		/* Kept only when it is exactly a wanted prefix. */
		if (prefix_parse(*s, strlen(*s), &p, NULL) == 0 && p.family == af[i] &&
		    fwd_set_has(want, &p))
			continue;
		r = fwd_rt_entry(f->bus, set_name[i], *s, false, d);
		if (r < 0)
			diag_prefix(d, "ipset %s: removing %s: ", set_name[i], *s);
	}
	return r;
}

static int fwd_apply(void *h, const struct plan *p, struct diag *d)
{
	struct fwd *f = h;
	struct prefix_set *want[2] = { NULL, NULL };
	char **v;
	int r = 0;

	if (!f->scanned || p->create || p->repair)
		r = scan(f, d);
	if (r >= 0)
		r = ensure_objects(f, d);
	for (int i = 0; r >= 0 && i < 2; i++) {
		want[i] = prefix_set_new();
		r = want[i] ? fwd_family_of(p->want, af[i], want[i]) : -ENOMEM;
	}
	/* Every family's additions before any deletion: no wanted prefix is ever missing. */
	for (int i = 0; r >= 0 && i < 2; i++)
		r = sync_runtime(f, i, want[i], true, d);
	for (int i = 0; r >= 0 && i < 2; i++)
		r = sync_runtime(f, i, want[i], false, d);
	/* Permanent: one setEntries per family, so an admin's reload keeps the allowlist. */
	for (int i = 0; r >= 0 && i < 2; i++) {
		if (fwd_entries_equal(&f->perm[i], want[i]))
			continue;
		v = fwd_format_strv(want[i]);
		if (!v) {
			r = -ENOMEM;
			break;
		}
		fwd_bus_set_timeout(f->bus, FWD_BULK_TIMEOUT_S);
		r = fwd_cfg_set_entries(f->bus, f->set_path[i], v, d);
		fwd_bus_set_timeout(f->bus, FWD_TIMEOUT_S);
		free(v);
		if (r < 0)
			diag_prefix(d, "permanent ipset %s: ", set_name[i]);
	}
	for (int i = 0; i < 2; i++)
		prefix_set_free(want[i]);
	/* What firewalld holds changed: the next read must ask again. */
	f->scanned = false;
	return r;
}

static int fwd_flush(void *h, struct diag *d)
{
	struct fwd *f = h;
	bool any;
	int r;

	r = scan(f, d);
	if (r < 0)
		return r;
	any = f->rt_zone || f->rt[0].raw || f->rt[1].raw;
	/* The zone goes first: it references the ipsets. */
	if (f->zone_path) {
		r = fwd_cfg_remove(f->bus, f->zone_path, true, d);
		any = true;
	}
	for (int i = 0; r >= 0 && i < 2; i++) {
		if (!f->set_path[i])
			continue;
		r = fwd_cfg_remove(f->bus, f->set_path[i], false, d);
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
	.summary = "firewalld zone cdnallow with ipsets cdnallow4/6, kept without reloads (D-Bus)",
	.detect = fwd_detect,
	.open = fwd_open,
	.read = fwd_read,
	.apply = fwd_apply,
	.flush = fwd_flush,
	.audit = fwd_audit,
	.close = fwd_close,
};

#else /* !FWD_HAVE_SDBUS */

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
