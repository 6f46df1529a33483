/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one interface every firewall backend implements (nftables, iptables,
 * ufw, firewalld). A backend owns only objects whose names start with
 * "cdnallow" (docs/architecture.md §4) and never flushes, reorders or edits anything else.
 * The engine never knows which backend it drives.
 */
#ifndef CDNALLOW_BACKEND_H
#define CDNALLOW_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct plan;
struct prefix_set;

/* sets: keep the list as named sets for the admin's own rules, install no rule */
enum cdnallow_mode { MODE_ALLOW = 0, MODE_LOCKDOWN = 1, MODE_SETS = 2 };

/* "allow", "lockdown", "sets": the names of the config, the state file and --json */
static inline const char *backend_mode_name(enum cdnallow_mode m)
{
	return m == MODE_LOCKDOWN ? "lockdown" : m == MODE_SETS ? "sets" : "allow";
}

#define BACKEND_MAX_PORTS 16

/* What the engine asks of a backend; all pointers borrowed for the handle's life. */
struct backend_cfg {
	enum cdnallow_mode mode;
	uint16_t ports[BACKEND_MAX_PORTS];
	size_t nports;
	const char *state_dir; /* may hold backend bookkeeping (e.g. nft generation id) */
	const char *nft_table; /* "[family] name" of the admin's table for allow mode, or NULL */
	const char *nft_chain; /* the admin's input chain in nft_table, or NULL */
	unsigned ufw_ipset_threshold; /* ufw switches to ipset mode above this many prefixes */
	const char *source_tag;	      /* comment suffix for per-rule backends ("cdnallow:<tag>") */
	/* nftables: manage only the own lockdown table (another backend allows) */
	bool lockdown_only;
	bool removing; /* flush: open even when the configured target no longer exists */
	/*
	 * Optional, NULL when nobody listens: told how far a long apply is, in
	 * firewall calls (done of total). Backends that change entry by entry
	 * (ufw rules, firewalld in place) call it after each call.
	 */
	void (*progress)(const char *backend, size_t done, size_t total);
};

/* Reports done of total to cfg->progress, if any; done never exceeds total. */
static inline void backend_progress(const struct backend_cfg *cfg, const char *backend, size_t done,
				    size_t total)
{
	if (cfg && cfg->progress && total)
		cfg->progress(backend, done < total ? done : total, total);
}

/* What a backend found installed. */
struct backend_state {
	struct prefix_set *set; /* owned by the caller (engine allocates); aggregated by read() */
	bool present;		/* cdnallow's objects exist at all */
	bool complete;		/* objects and rules are exactly as apply() would leave them */
	/*
	 * Nonzero: set was read from applied.rec, whose checksum this is
	 * (state_applied_sum), and the firewall verifiably holds it (nft's
	 * generation id, the ipsets' header blocks): the engine need not read applied.rec again.
	 */
	uint64_t applied_sum;
	/* human description: "table inet cdnallow", "ipset cdnallow4 + INPUT rule" */
	char where[256];
};

/*
 * Packets counted by the rules cdnallow installed since they were made, per family ([0] IPv4,
 * [1] IPv6): accepted from the CDN's ranges, dropped by lockdown from everyone else. -1 where
 * the firewall keeps no such counter (no such rule, or the backend cannot read it): never 0.
 */
struct backend_counters {
	int64_t accepted[2];
	int64_t dropped[2];
};

static inline void backend_counters_unknown(struct backend_counters *c)
{
	c->accepted[0] = c->accepted[1] = c->dropped[0] = c->dropped[1] = -1;
}

struct backend_ops {
	const char *name;
	/* One line for `cdnallow providers`/--help style listings. */
	const char *summary;
	/* The sets mode = sets keeps for the admin's rules ("ipsets cdnallow4/cdnallow6"); NULL:
	 * this backend cannot keep sets without rules, and the engine refuses mode sets. */
	const char *sets;
	/*
	 * How strongly the host uses this firewall, read-only: 0 not in use, higher
	 * wins in `auto` (firewalld running 40, ufw active 30, native nft tables 20,
	 * iptables rules 10). Negative errno when it cannot tell; -ENOTCONN (message
	 * in d) when it is in use but cannot be reached: auto then stops with that error.
	 */
	int (*detect)(struct diag *d);
	/* Opens a handle; -ENOENT/-ENOTSUP with a message when the firewall is missing or
	 * inactive. */
	int (*open)(const struct backend_cfg *cfg, void **handle, struct diag *d);
	/* Fills st with what cdnallow installed; never changes anything. */
	int (*read)(void *h, struct backend_state *st, struct diag *d);
	/*
	 * Makes the firewall hold exactly p->want, creating objects when p->create
	 * or p->repair. Atomic where the firewall allows it; otherwise additions
	 * before deletions so no wanted prefix is ever missing. On failure the
	 * previous state is kept.
	 */
	int (*apply)(void *h, const struct plan *p, struct diag *d);
	/*
	 * Optional: after a successful apply(), what now holds the list, in the words of
	 * backend_state.where (read() described the firewall before the apply; ufw's apply
	 * may switch between per-prefix rules and ipsets).
	 */
	void (*describe)(void *h, char *where, size_t size);
	/*
	 * Optional: after apply() failed, removes what that apply created where nothing of
	 * cdnallow's was there before (a failed first sync), never the admin's objects nor
	 * what an earlier sync installed. 1 when it removed something, 0 when there was
	 * nothing to remove, negative errno with the reason in d when it could not.
	 * engine_apply() calls it and words the one warning about it.
	 */
	int (*undo_new)(void *h, struct diag *d);
	/* Removes every object cdnallow installed, nothing else. */
	int (*flush)(void *h, struct diag *d);
	/* Checks for problems that defeat the allowlist (a drop elsewhere, a rule open to all);
	 * warnings into d. */
	int (*audit)(void *h, struct diag *d);
	/* Reads cdnallow's rule counters into c (read-only); NULL: the backend has none. */
	int (*counters)(void *h, struct backend_counters *c, struct diag *d);
	void (*close)(void *h);
};

/* NULL-terminated registry, in `auto` preference order for equal scores. */
extern const struct backend_ops *const backend_registry[];

const struct backend_ops *backend_find(const char *name);
/*
 * Picks the backend the host uses (docs/architecture.md §1); nftables when nothing is in use.
 * NULL, with the error in d, when a detect() says -ENOTCONN: a firewall in use but unreachable.
 */
const struct backend_ops *backend_auto(struct diag *d);

#endif
