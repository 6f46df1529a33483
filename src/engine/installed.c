// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What is installed against what is configured, beyond the prefixes: the mode
 * (the lockdown table next to ufw/iptables/firewalld exists or not) and the
 * ports. A difference is drift that plan names ("mode: lockdown → allow",
 * "ports: 80,443 → 80,443,8443") and sync undoes. Also the installed mode,
 * ports and backend as defaults for status, doctor and flush. Read-only: the
 * changes themselves happen in engine_apply().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "engine.h"
#include "lockdown.h"
#include "prefix_set.h"

static int cmp_port(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

void engine_format_ports(const uint16_t *ports, size_t n, char *buf, size_t size)
{
	uint16_t v[BACKEND_MAX_PORTS];
	size_t len = 0;

	n = n < BACKEND_MAX_PORTS ? n : BACKEND_MAX_PORTS;
	memcpy(v, ports, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_port);
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u", i ? "," : "", v[i]);
}

/* Does cdnallow's own lockdown table exist next to another backend? */
static int companion_state(struct engine *e, const struct backend_ops *nft, bool *present,
			   bool *complete, struct diag *d)
{
	struct lockdown l = { 0 };
	int ret = lockdown_open(&l, nft, &e->bcfg, d);

	*present = ret == 0 && l.present;
	*complete = ret == 0 && l.complete && prefix_set_equal(l.have, e->want);
	lockdown_close(&l);
	return ret;
}

static void add_change(struct engine *e, const char *what, const char *from, const char *to)
{
	size_t len = strlen(e->change);

	snprintf(e->change + len, sizeof(e->change) - len, "%s%s: %s → %s", len ? "; " : "", what,
		 from, to);
}

int engine_check_installed(struct engine *e, const struct backend_ops *nft)
{
	const char *want_mode = backend_mode_name(e->cfg.mode), *had_mode = NULL, *prev = NULL;
	char want_ports[96];
	bool present = false, complete = false;
	struct diag d;
	int ret = 0;

	diag_init(&d);
	e->change[0] = '\0';
	e->companion_stale = e->companion_missing = false;
	if (e->have_prev && e->prev.mode && !e->prev.flushed && e->st.present)
		prev = e->prev.mode;
	if (nft && strcmp(e->be->name, "nftables")) {
		ret = companion_state(e, nft, &present, &complete, &d);
		if (ret < 0) {
			diag_prefix(&d, "nftables lockdown table: ");
			goto out;
		}
		e->companion_stale = e->cfg.mode != MODE_LOCKDOWN && present;
		e->companion_missing = e->cfg.mode == MODE_LOCKDOWN && !complete;
		/* the table tells lockdown; allow and sets differ only in the backend's rules */
		if (present)
			had_mode = "lockdown";
		else if (prev && strcmp(prev, "lockdown"))
			had_mode = prev;
		else if (e->cfg.mode == MODE_LOCKDOWN)
			had_mode = "allow";
	} else {
		had_mode = prev;
	}
	if (had_mode && strcmp(had_mode, want_mode))
		add_change(e, "mode", had_mode, want_mode);
	engine_format_ports(e->cfg.ports, e->cfg.nports, want_ports, sizeof(want_ports));
	if (e->have_prev && e->prev.ports && !e->prev.flushed && e->st.present &&
	    strcmp(e->prev.ports, want_ports)) {
		add_change(e, "ports", e->prev.ports, want_ports);
		/* the backend's port objects are rebuilt with the new list */
		e->plan.repair = true;
	}
out:
	engine_report(e, &d, NULL);
	return ret;
}

bool engine_in_sync(const struct engine *e)
{
	return plan_is_noop(&e->plan) && !e->change[0] && !e->companion_stale &&
	       !e->companion_missing;
}

int engine_use_installed(struct engine *e, struct diag *d)
{
	int ret = 0;

	if (!e->have_prev)
		return 0;
	if (!e->opts->mode && e->prev.mode)
		ret = config_set_mode(&e->cfg, e->prev.mode, d);
	if (ret == 0 && !e->opts->ports && e->prev.ports)
		ret = config_parse_ports(e->prev.ports, e->cfg.ports, &e->cfg.nports, d);
	if (ret < 0)
		diag_prefix(d, "the state file's installed mode/ports: ");
	return ret;
}

static int64_t sum(int64_t a, int64_t b)
{
	return a < 0 ? b : b < 0 ? a : a + b;
}

void engine_counters(struct engine *e)
{
	const struct backend_ops *nft = e->lockdown_be ? e->lockdown_be : backend_find("nftables");
	struct backend_counters lc;
	struct lockdown l = { 0 };
	struct diag d;

	diag_init(&d);
	e->counters_read = true;
	backend_counters_unknown(&e->counters);
	if (e->be && e->bh && e->be->counters && e->be->counters(e->bh, &e->counters, &d) < 0)
		backend_counters_unknown(&e->counters);
	if (nft && nft->counters && e->be && strcmp(e->be->name, "nftables") &&
	    e->cfg.mode == MODE_LOCKDOWN && lockdown_open(&l, nft, &e->bcfg, &d) == 0 &&
	    l.present && nft->counters(l.h, &lc, &d) == 0) {
		for (int f = 0; f < 2; f++) {
			/* raw PREROUTING (iptables) drops before the nftables chain sees it */
			e->counters.dropped[f] = sum(e->counters.dropped[f], lc.dropped[f]);
			if (e->counters.accepted[f] < 0)
				e->counters.accepted[f] = lc.accepted[f];
		}
	}
	lockdown_close(&l);
	if (d.msg[0]) {
		diag_warn(&d, "counters: %s", d.msg);
		diag_clear_err(&d);
	}
	engine_report(e, &d, NULL);
}
