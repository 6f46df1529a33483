// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pipeline of docs/architecture.md §1 (include/cdnallow/engine.h), and the
 * order of a lockdown sync across two firewalls (the steps are in lockdown.c).
 * Never prints: every message goes through a struct diag to engine_report().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "diag.h"
#include "engine.h"
#include "guard.h"
#include "history.h"
#include "lockdown.h"
#include "prefix_set.h"
#include "source.h"
#include "undo.h"

static void keep_warning(struct engine *e, const char *w)
{
	char **v = realloc(e->warnings, (e->nwarnings + 1) * sizeof(*v));

	if (!v)
		return;
	e->warnings = v;
	e->warnings[e->nwarnings] = strdup(w);
	if (e->warnings[e->nwarnings])
		e->nwarnings++;
}

void engine_report(struct engine *e, struct diag *d, const char *what)
{
	for (size_t i = 0; i < d->nwarnings; i++)
		keep_warning(e, d->warnings[i]);
	if (e->hooks && e->hooks->report)
		e->hooks->report(d, what);
	diag_release(d);
	diag_init(d);
}

static void debug(const struct engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void debug(const struct engine *e, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (!e->hooks || !e->hooks->debug)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	e->hooks->debug(text);
}

/* Command-line options win over the file; the setters check values as the file's keys are. */
static int apply_overrides(struct engine *e, struct diag *d)
{
	struct engine_opts *o = e->opts;
	struct config *c = &e->cfg;
	int ret = 0;

	if (o->providers)
		ret = config_set_providers(c, o->providers, d);
	if (ret == 0 && o->backend)
		ret = config_set_backend(c, o->backend, d);
	if (ret == 0 && o->ports) {
		ret = config_parse_ports(o->ports, c->ports, &c->nports, d);
		if (ret < 0)
			diag_prefix(d, "--ports: ");
	}
	if (ret == 0 && o->mode)
		ret = config_set_mode(c, o->mode, d);
	if (ret == 0 && o->state_dir)
		ret = config_set_state_dir(c, o->state_dir, d);
	return ret;
}

static int add_provider_source(struct engine *e, const char *name, struct diag *d)
{
	const struct provider *prov = provider_find(name);
	const struct provider_override *ov = config_find_override(&e->cfg, name);
	struct source *src = &e->srcs[e->nsrcs];
	int ret;

	if (!prov) {
		diag_err(d, "unknown provider '%s' (see cdnallow providers)", name);
		return -EINVAL;
	}
	ret = source_init_provider(src, prov);
	if (ret < 0)
		return ret;
	e->nsrcs++;
	if (!ov)
		return 0;
	if (ov->nurls) {
		for (size_t i = 0; i < src->nurls; i++) {
			free(src->urls[i]);
			src->urls[i] = NULL;
		}
		src->nurls = 0;
		for (size_t i = 0; i < ov->nurls; i++) {
			src->urls[i] = strdup(ov->urls[i]);
			if (!src->urls[i])
				return -ENOMEM;
			src->nurls++;
		}
	}
	if (ov->has_floor)
		src->floor = ov->floor;
	if (ov->filter) {
		free(src->filter);
		src->filter = strdup(ov->filter);
		if (!src->filter)
			return -ENOMEM;
		provider_default_budget(prov, src->filter, src->max_addresses);
	}
	if (ov->has_max_addresses)
		memcpy(src->max_addresses, ov->max_addresses, sizeof(src->max_addresses));
	src->insecure = ov->insecure;
	if (src->nurls == 0) {
		diag_err(d,
			 "provider '%s' publishes no download URL: set [provider:%s] path = FILE",
			 name, name);
		return -EINVAL;
	}
	return 0;
}

static int add_generic_source(struct engine *e, const char *name, const char *where,
			      const struct source_def *def)
{
	struct source *src = &e->srcs[e->nsrcs];
	int ret = source_init_generic(src, name, where);

	if (ret < 0)
		return ret;
	e->nsrcs++;
	if (!def)
		return 0;
	src->format = def->format;
	src->insecure = def->insecure;
	if (def->floor)
		src->floor = def->floor;
	if (def->has_max_addresses)
		memcpy(src->max_addresses, def->max_addresses, sizeof(src->max_addresses));
	if (def->json_path) {
		src->json_path = strdup(def->json_path);
		if (!src->json_path)
			return -ENOMEM;
	}
	return 0;
}

static int build_sources(struct engine *e, struct diag *d)
{
	struct engine_opts *o = e->opts;
	bool only_cli = o->nsources && !o->providers;
	size_t max = o->nsources + (only_cli ? 0 : e->cfg.nproviders + e->cfg.nsources);
	int ret = 0;
	size_t len = 0;

	e->srcs = calloc(max ? max : 1, sizeof(*e->srcs));
	e->results = calloc(max ? max : 1, sizeof(*e->results));
	if (!e->srcs || !e->results)
		return -ENOMEM;
	for (size_t i = 0; !only_cli && i < e->cfg.nproviders && ret == 0; i++)
		ret = add_provider_source(e, e->cfg.providers[i], d);
	for (size_t i = 0; !only_cli && i < e->cfg.nsources && ret == 0; i++) {
		const struct source_def *def = &e->cfg.sources[i];

		ret = add_generic_source(e, def->name, def->url ? def->url : def->path, def);
	}
	for (size_t i = 0; i < o->nsources && ret == 0; i++)
		ret = add_generic_source(e, o->sources[i], o->sources[i], NULL);
	if (ret < 0)
		return ret;
	if (e->nsrcs == 0) {
		diag_err(d, "no source configured: give -p PROVIDER or -s URL|FILE");
		return -EINVAL;
	}
	for (size_t i = 0; i < e->nsrcs && len + 2 < sizeof(e->tag); i++) {
		const char *base = strrchr(e->srcs[i].name, '/');

		base = base && e->srcs[i].prov == &provider_generic ? base + 1 : e->srcs[i].name;
		len += (size_t)snprintf(e->tag + len, sizeof(e->tag) - len, "%s%s", i ? "+" : "",
					base);
	}
	return 0;
}

int engine_init(struct engine *e, struct engine_opts *o, const struct engine_hooks *hooks)
{
	struct diag d;
	int ret;

	memset(e, 0, sizeof(*e));
	e->opts = o;
	e->hooks = hooks;
	e->lock_fd = -1;
	diag_init(&d);
	ret = config_init(&e->cfg);
	if (ret < 0)
		goto out;
	ret = config_load(&e->cfg, o->config_path, &d);
	if (ret == -ENOENT && !o->config_explicit) {
		debug(e, "no %s, using built-in defaults", o->config_path);
		ret = 0;
	} else if (ret == -ENOENT) {
		diag_err(&d, "config file '%s' does not exist", o->config_path);
	}
	if (ret < 0)
		goto out;
	ret = apply_overrides(e, &d);
	if (ret < 0)
		goto out;
	ret = build_sources(e, &d);
	if (ret < 0)
		goto out;
	ret = state_dir_check(e->cfg.state_dir, &d);
	if (ret < 0)
		goto out;
	e->have_prev = state_load(e->cfg.state_dir, &e->prev, &d) == 0;
	if (!e->have_prev && d.msg[0]) {
		diag_warn(&d, "%s; ignoring the previous state", d.msg);
		diag_clear_err(&d);
	}
out:
	if (ret < 0 && !d.msg[0])
		diag_err(&d, "%s", strerror(-ret));
	engine_report(e, &d, NULL);
	return ret;
}

void engine_release(struct engine *e)
{
	if (e->be && e->bh)
		e->be->close(e->bh);
	prefix_set_free(e->st.set);
	if (e->plan.add || e->plan.del)
		plan_release(&e->plan);
	state_applied_image_release(&e->want_img);
	for (size_t i = 0; i < e->nsrcs; i++) {
		source_result_release(&e->results[i]);
		source_release(&e->srcs[i]);
	}
	free(e->results);
	free(e->srcs);
	if (!e->want_shared)
		prefix_set_free(e->want);
	if (e->have_prev)
		state_release(&e->prev);
	state_unlock(e->lock_fd);
	for (size_t i = 0; i < e->nwarnings; i++)
		free(e->warnings[i]);
	free(e->warnings);
	free(e->outputs);
	history_sources_release(e->records);
	free(e->records);
	history_sources_release(e->base);
	free(e->base);
	free(e->base_err);
	config_release(&e->cfg);
	memset(e, 0, sizeof(*e));
}

static bool denied(int err)
{
	return err == -EACCES || err == -EPERM;
}

static int lock_state_dir(struct engine *e, struct diag *d)
{
	int ret = dir_ensure(e->cfg.state_dir, 0700);

	if (ret < 0) {
		diag_err(d, "cannot create state dir '%s': %s", e->cfg.state_dir, strerror(-ret));
		return ret;
	}
	return state_lock(e->cfg.state_dir, 10, &e->lock_fd, d);
}

static void report_lock(struct engine *e, int ret, struct diag *d)
{
	/* the one thing to say to a user without the rights, instead of EACCES on a path */
	if (denied(ret) && geteuid() != 0) {
		diag_clear_err(d);
		diag_err(d, "cdnallow needs root (CAP_NET_ADMIN)");
	}
	engine_report(e, d, NULL);
}

int engine_lock(struct engine *e)
{
	struct diag d;
	int ret;

	diag_init(&d);
	ret = lock_state_dir(e, &d);
	report_lock(e, ret, &d);
	return ret;
}

/*
 * plan changes nothing: with a read-only state dir it runs without the lock
 * (and so without refreshing the cache), instead of failing.
 */
static int lock_for_plan(struct engine *e)
{
	struct diag d;
	int ret;

	diag_init(&d);
	ret = lock_state_dir(e, &d);
	if ((ret == -EROFS || denied(ret)) && geteuid() == 0) {
		debug(e, "state dir '%s' is read-only: planning without the lock",
		      e->cfg.state_dir);
		diag_clear_err(&d);
		ret = 0;
	}
	report_lock(e, ret, &d);
	return ret;
}

/*
 * One source: its list is the union, so want is that list itself rather than
 * a copy (2.4 MB at 100k prefixes). Already aggregated by source_finish();
 * whoever rebuilds want (age.c) first gives it a set of its own.
 */
static void share_want(struct engine *e)
{
	prefix_set_free(e->want);
	e->want = e->results[0].set;
	e->want_shared = true;
}

struct prefix_set *engine_take_want(struct engine *e)
{
	struct prefix_set *s = e->want;

	if (e->want_shared) {
		s = prefix_set_new();
		if (s && prefix_set_copy(s, e->want) < 0) {
			prefix_set_free(s);
			s = NULL;
		}
		return s; /* want stays the source's list, freed with it */
	}
	e->want = NULL;
	return s;
}

int engine_resolve(struct engine *e)
{
	struct resolve_opts ro = { 0 };
	struct guard_history *last = NULL;
	struct diag d;
	int ret;

	diag_init(&d);
	last = calloc(e->nsrcs, sizeof(*last));
	e->want = prefix_set_new();
	if (!last || !e->want) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < e->nsrcs && e->have_prev; i++)
		state_source_history(&e->prev, e->srcs[i].name, &last[i]);
	/* the cache is read by every command, written only under the lock */
	ro.state_dir = e->cfg.state_dir;
	ro.fetch.timeout_s = e->cfg.timeout_s;
	ro.fetch.connect_timeout_s = e->cfg.timeout_s < 10 ? e->cfg.timeout_s : 10;
	ro.fetch.retries = e->cfg.retries;
	ro.fetch.max_size = e->cfg.max_size;
	ro.fetch.ca_file = e->cfg.ca_file;
	ro.fetch.offline = e->opts->offline;
	ro.guard.max_shrink = e->cfg.max_shrink;
	ro.guard.max_grow = e->cfg.max_grow;
	ro.guard.allow_test_ranges = e->cfg.allow_test_ranges;
	ro.guard.force = e->opts->force;
	ro.history = last;
	ro.write_cache = e->lock_fd >= 0;
	ret = resolve_sources(e->srcs, e->nsrcs, &ro, e->results, &d);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < e->nsrcs; i++) {
		const struct source_result *r = &e->results[i];

		if (r->status == SOURCE_REFUSED) {
			diag_err(&d,
				 "source '%s' has no usable list: %s; the firewall was not changed",
				 e->srcs[i].name,
				 r->error[0] ? resolve_without_source(r->error, e->srcs[i].name)
					     : "no data");
			ret = -ENODATA;
			goto out;
		}
		ret = e->nsrcs > 1 ? prefix_set_extend(e->want, r->set) : 0;
		if (ret < 0)
			goto out;
	}
	/* one source: its list is aggregated already (resolve.c), and want is that list */
	if (e->nsrcs == 1)
		share_want(e);
	else
		ret = prefix_set_aggregate(e->want);
	if (ret == 0 && e->want->n == 0) {
		diag_err(&d, "the sources yield no prefix at all; nothing was changed");
		ret = -ENODATA;
	}
out:
	free(last);
	if (ret < 0 && !d.msg[0])
		diag_err(&d, "resolving sources: %s", strerror(-ret));
	engine_report(e, &d, NULL);
	return ret;
}

static void fill_backend_cfg(struct engine *e)
{
	struct backend_cfg *b = &e->bcfg;

	b->mode = e->cfg.mode;
	memcpy(b->ports, e->cfg.ports, sizeof(b->ports));
	b->nports = e->cfg.nports;
	b->state_dir = e->cfg.state_dir;
	b->nft_table = e->cfg.nft_table;
	b->nft_chain = e->cfg.nft_chain;
	b->ufw_ipset_threshold = e->cfg.ufw_ipset_threshold;
	b->source_tag = e->tag;
	b->removing = e->removing;
	b->progress = e->hooks ? e->hooks->step : NULL;
}

/* By name, or the one the host uses (auto). A backend already in e->be (the unit tests' fake)
 * stays. */
static int choose_backend(struct engine *e, bool reuse_last, struct diag *d)
{
	const char *name = e->cfg.backend;

	if (e->be)
		return 0;
	if (reuse_last && !strcmp(name, "auto") && e->have_prev && e->prev.backend)
		name = e->prev.backend;
	if (!strcmp(name, "auto")) {
		e->be = backend_auto(d);
		if (!e->be && !d->msg[0])
			diag_err(d, "no usable firewall backend found");
		if (!e->be) {
			return -ENOENT;
		}
		debug(e, "backend auto: %s", e->be->name);
		return 0;
	}
	e->be = backend_find(name);
	if (!e->be) {
		diag_err(d, "backend '%s' is not available in this build", name);
		return -ENOENT;
	}
	return 0;
}

int engine_open_backend(struct engine *e, bool reuse_last)
{
	struct diag d;
	int ret;

	diag_init(&d);
	ret = choose_backend(e, reuse_last, &d);
	if (ret == 0 && reuse_last)
		ret = engine_use_installed(e, &d);
	if (ret == 0 && e->cfg.mode == MODE_SETS && !e->be->sets && !e->removing) {
		diag_err(&d,
			 "mode sets: the %s backend cannot keep the list as sets without rules of "
			 "its own; use backend nftables (sets cdnallow4/cdnallow6 in [nftables] "
			 "table) or iptables (ipsets cdnallow4/cdnallow6)",
			 e->be->name);
		ret = -ENOTSUP;
	}
	if (ret < 0)
		goto out;
	fill_backend_cfg(e);
	ret = e->be->open(&e->bcfg, &e->bh, &d);
	if (ret < 0) {
		e->bh = NULL;
		diag_prefix(&d, "%s: ", e->be->name);
		goto out;
	}
	e->st.set = prefix_set_new();
	if (!e->st.set) {
		ret = -ENOMEM;
		goto out;
	}
	ret = e->be->read(e->bh, &e->st, &d);
	if (ret < 0)
		diag_prefix(&d, "%s: reading the installed state: ", e->be->name);
out:
	engine_report(e, &d, NULL);
	return ret;
}

/* True when some source has no per-family record of its last good list. */
static bool history_incomplete(const struct engine *e)
{
	struct guard_history h;

	if (!e->have_prev)
		return true;
	for (size_t i = 0; i < e->nsrcs; i++) {
		state_source_history(&e->prev, e->srcs[i].name, &h);
		if (!h.known)
			return true;
	}
	return false;
}

/*
 * Without a per-source history (no, old or corrupt state.json) the guard's
 * shrink rule has nothing to compare with: compare the union with what the
 * firewall holds instead (docs/architecture.md §5), by the same rule.
 */
static int check_shrink_installed(struct engine *e, struct diag *d)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	struct guard_opts o = { .max_shrink = e->cfg.max_shrink, .force = e->opts->force };
	int ret = 0;

	if (!history_incomplete(e))
		return 0;
	for (int f = 0; f < 2 && ret == 0; f++)
		ret = guard_check_shrink("the sources (no sync history: compared with what the "
					 "firewall holds)",
					 fams[f], e->plan.installed[f],
					 prefix_set_count(e->want, fams[f]), &o, d);
	if (ret < 0)
		diag_prefix(d, "the firewall was not changed: ");
	return ret;
}

int engine_plan(struct engine *e)
{
	struct diag d;
	int ret;

	diag_init(&d);
	ret = plan_build(&e->plan, e->want, e->st.set);
	if (ret < 0)
		diag_err(&d, "building the plan: %s", strerror(-ret));
	if (ret == 0)
		ret = check_shrink_installed(e, &d);
	if (ret == 0)
		plan_set_flags(&e->plan, e->st.present, e->st.complete);
	engine_report(e, &d, NULL);
	return ret;
}

/*
 * applied.rec's image of e->want, packed once per sync: its checksum names the
 * set in the backend's cache (written during the apply), save_applied writes
 * the image itself. Out of memory: the cache computes its own, save_applied
 * packs again and says why it could not.
 */
static int pack_want(struct engine *e)
{
	int ret = 0;

	if (!e->want_img.buf)
		ret = state_pack_applied(e->want, &e->want_img);
	e->plan.want_sum = e->want_img.sum;
	return ret;
}

/*
 * Once applied, what the firewall held before was only the plan's input; its
 * list (2.4 MB at 100k) would otherwise sit under the peak of what follows.
 */
static void drop_installed(struct engine *e)
{
	struct prefix_set *empty = prefix_set_new();

	if (!empty)
		return;
	prefix_set_free(e->st.set);
	e->st.set = empty;
	e->st.applied_sum = 0; /* names the set just dropped */
}

/* A no-op leaves applied.rec alone when it already holds this set: no write, no fsync. */
static bool applied_current(const struct engine *e)
{
	return e->plan.add && plan_is_noop(&e->plan) &&
	       state_applied_holds(e->cfg.state_dir, &e->want_img);
}

/* applied.rec after a successful sync. */
static int save_applied(struct engine *e, struct diag *d)
{
	int ret;

	/* a no-op whose installed set the backend read from applied.rec: that is want's record */
	if (e->plan.add && plan_is_noop(&e->plan) && e->st.applied_sum) {
		e->applied_known = true;
		e->applied_sum = e->st.applied_sum;
		return 0;
	}
	ret = pack_want(e);
	if (ret < 0) {
		diag_err(d, "packing the applied set: %s", strerror(-ret));
		return ret;
	}
	e->applied_known = applied_current(e);
	if (!e->applied_known) {
		/*
		 * sources.rec refers to the applied.rec it was written with: it is
		 * read here, the one point before that one is replaced (taking the
		 * installed set over when the backend read it from there)
		 */
		engine_load_base(e);
		drop_installed(e);
		ret = state_write_applied(e->cfg.state_dir, &e->want_img, d);
		e->applied_known = ret == 0;
	}
	if (e->applied_known)
		e->applied_sum = e->want_img.sum;
	state_applied_image_release(&e->want_img);
	return ret;
}

int engine_save_state(struct engine *e, int result)
{
	char ports[96];
	double addr[2];
	struct state st = { 0 };
	struct diag d;
	int ret;

	diag_init(&d);
	st.last_run = time(NULL);
	st.last_success = result == 0 && !e->flushed ? st.last_run
						     : (e->have_prev ? e->prev.last_success : 0);
	st.result = result;
	st.backend = (char *)(e->be ? e->be->name : e->cfg.backend);
	/* the installed mode and ports: a failed run changed neither */
	engine_format_ports(e->cfg.ports, e->cfg.nports, ports, sizeof(ports));
	st.mode = (char *)backend_mode_name(e->cfg.mode);
	st.ports = ports;
	if (result < 0 && e->have_prev && e->prev.mode)
		st.mode = e->prev.mode;
	if (result < 0 && e->have_prev)
		st.ports = e->prev.ports;
	st.flushed = e->flushed ? st.last_run : 0;
	if (e->want)
		prefix_set_tally(e->want, st.count, addr);
	for (size_t i = 0; !e->flushed && i < e->nsrcs && i < STATE_MAX_SOURCES; i++) {
		const struct source_result *r = &e->results[i];

		st.sources[i].name = e->srcs[i].name;
		st.sources[i].status = (char *)source_status_name(r->status);
		st.sources[i].count = r->set ? r->set->n : 0;
		st.sources[i].data_time = st.last_run - r->age_s;
		/* a refused source's record stays what it was: its last good list */
		if (r->set && r->status != SOURCE_REFUSED) {
			st.sources[i].has_family = true;
			prefix_set_tally(r->set, st.sources[i].fcount, st.sources[i].addresses);
		} else if (e->have_prev) {
			struct guard_history h;

			state_source_history(&e->prev, e->srcs[i].name, &h);
			st.sources[i].has_family = h.known;
			memcpy(st.sources[i].fcount, h.count, sizeof(h.count));
			memcpy(st.sources[i].addresses, h.addresses, sizeof(h.addresses));
		}
		st.nsources++;
	}
	ret = state_save(e->cfg.state_dir, &st, &d);
	if (ret == 0 && result == 0 && e->want)
		ret = save_applied(e, &d);
	/* one directory fsync for both renames (file_write_synced in fileio.h: why that is safe) */
	if (ret == 0)
		ret = state_sync(e->cfg.state_dir, &d);
	if (ret < 0)
		diag_prefix(&d, "saving state in '%s': ", e->cfg.state_dir);
	engine_report(e, &d, NULL);
	return ret;
}

void engine_audit(struct engine *e)
{
	struct diag d;

	if (!e->be->audit)
		return;
	diag_init(&d);
	if (e->be->audit(e->bh, &d) < 0)
		diag_warn(&d, "%s: audit failed: %s", e->be->name, d.msg);
	diag_clear_err(&d);
	engine_report(e, &d, NULL);
}

static const struct backend_ops *lockdown_backend(const struct engine *e);

int engine_sync(struct engine *e, bool apply, bool *changed)
{
	int ret;

	*changed = false;
	ret = apply ? engine_lock(e) : lock_for_plan(e);
	if (ret < 0)
		return ret;
	ret = engine_resolve(e);
	if (ret == 0)
		ret = engine_open_backend(e, false);
	if (ret == 0)
		engine_audit(e);
	if (ret == 0)
		ret = engine_age_policy(e);
	if (ret == 0)
		ret = engine_plan(e);
	if (ret == 0)
		ret = engine_check_installed(e, lockdown_backend(e));
	if (ret < 0 || !apply) {
		*changed = ret == 0 && !engine_in_sync(e);
		goto out;
	}
	if (!plan_is_noop(&e->plan) && e->hooks && e->hooks->progress)
		e->hooks->progress(e->plan.add->n + e->plan.del->n, e->be->name);
	if (!plan_is_noop(&e->plan))
		pack_want(e); /* for the backend's cache: a no-op saves none */
	ret = engine_apply(e);
	if (e->hooks && e->hooks->progress)
		e->hooks->progress(0, NULL);
	*changed = ret == 0 && !engine_in_sync(e);
out:
	/* a sync whose record is lost is a failed sync: monitoring must notice */
	if (apply && engine_save_state(e, ret) < 0 && ret == 0)
		ret = -EIO;
	return ret;
}

/*
 * Lockdown with a backend other than nftables: the drop lives in cdnallow's own
 * nftables table (docs/architecture.md §4), so one sync changes two firewalls that share
 * no transaction. The order keeps every intermediate state safe: the lockdown
 * sets first grow to old ∪ new, then the backend applies, then the lockdown sets
 * shrink to new. A kill or a failure at any point leaves the lockdown sets a
 * superset of what the backend accepts (no CDN node dropped) and a subset of
 * old ∪ new (nobody else let in); a failed backend apply shrinks them back to old.
 */
static const struct backend_ops *lockdown_backend(const struct engine *e)
{
	return e->lockdown_be ? e->lockdown_be : backend_find("nftables");
}

static bool has_companion(const struct engine *e)
{
	return e->cfg.mode == MODE_LOCKDOWN && strcmp(e->be->name, "nftables");
}

int engine_apply(struct engine *e)
{
	const struct backend_ops *nft = lockdown_backend(e);
	bool companion = has_companion(e);
	struct lockdown l = { 0 };
	struct diag d;
	int ret = 0;

	diag_init(&d);
	if (companion && !nft) {
		diag_warn(&d, "lockdown: nftables backend unavailable; %s handles it alone",
			  e->be->name);
		companion = false;
	}
	if (companion) {
		ret = lockdown_open(&l, nft, &e->bcfg, &d);
		if (ret == 0)
			ret = lockdown_grow(&l, e->want, &d);
		if (ret < 0) {
			diag_prefix(&d, "nftables lockdown table (nothing applied): ");
			goto out;
		}
	}
	if (!plan_is_noop(&e->plan)) {
		ret = undo_apply(e->be, e->bh, &e->plan, &d);
		if (ret < 0) {
			diag_prefix(&d, "%s: applying the plan (the previous state is kept): ",
				    e->be->name);
			/* The backend kept the old list: so does the lockdown table. */
			if (companion)
				lockdown_restore(&l, &d);
			goto out;
		}
		if (e->be->describe)
			e->be->describe(e->bh, e->st.where, sizeof(e->st.where));
	}
	if (companion) {
		ret = lockdown_shrink(&l, e->want, &d);
		if (ret < 0)
			diag_prefix(&d, "nftables lockdown table: ");
	} else if (e->companion_stale && nft) {
		/* switched to allow: the lockdown drop of the last sync must go */
		ret = lockdown_flush(nft, &e->bcfg, &d);
		if (ret < 0)
			diag_prefix(&d, "nftables lockdown table: ");
	}
out:
	lockdown_close(&l);
	engine_report(e, &d, NULL);
	return ret;
}

int engine_flush(struct engine *e, struct diag *d)
{
	const struct backend_ops *nft = lockdown_backend(e);
	int ret = e->be->flush(e->bh, d);

	if (ret < 0) {
		diag_prefix(d, "%s: flush: ", e->be->name);
		return ret;
	}
	/* nftables' own flush removed the lockdown table too; without nftables there is none */
	if (!strcmp(e->be->name, "nftables") || !nft)
		return 0;
	ret = lockdown_flush(nft, &e->bcfg, d);
	if (ret < 0)
		diag_prefix(d, "nftables lockdown table: flush: ");
	return ret;
}
