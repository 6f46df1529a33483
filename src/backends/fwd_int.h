/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the firewalld backend's files share (firewalld.c reads and removes,
 * fwd_sync.c applies). Policy cdnallow (every zone to the host, before the
 * zones) accepts the web ports from the ipsets with rich rules; it takes
 * nothing away from any zone. Each family's list is spread over shards by
 * address range (fwd_shard.h), and each shard has two ipsets, a and b
 * (cdnallow4-3 and cdnallow4-3b; shard 0 is cdnallow4 and cdnallow4b):
 * exactly one, the active one, is named by the policy's rules and the other
 * stays empty, so a large update of a shard fills its idle set and then
 * points the rules at it instead of editing a live set entry by entry.
 * Private to src/backends/firewalld.c and fwd_*.c; it must never grow code
 * that talks to firewalld by itself.
 */
#ifndef CDNALLOW_FWD_INT_H
#define CDNALLOW_FWD_INT_H

#include <stdbool.h>

#include "fwd_dbus.h"
#include "fwd_entries.h"
#include "fwd_shard.h"

struct backend_cfg;
struct diag;
struct plan;

#define FWD_POLICY "cdnallow"
/* The source-bound zone of earlier builds of cdnallow, migrated to the policy by a sync. */
#define FWD_ZONE "cdnallow"
#define FWD_DESC "managed by cdnallow: CDN ranges allowed to the web ports"
#define FWD_TIMEOUT_S 30
/* Bulk entry lists and reloads of large sets take minutes in firewalld 1.3. */
#define FWD_BULK_TIMEOUT_S 1800

extern const char *const fwd_set_family[2];
extern const int fwd_af[2];

/* One shard of a family (fwd_shard.h): ipsets a ([0]) and b ([1]). */
struct fwd_shard {
	char *path[2];			   /* permanent ipset objects, NULL when missing */
	struct fwd_entries rt[2], perm[2]; /* .raw NULL when the ipset does not exist */
	bool rt_src[2], perm_src[2]; /* named by the runtime / permanent rules (or old zone) */
};

/* One family: every shard index that an ipset or a rule of ours names, 0 always. */
struct fwd_fam {
	struct fwd_shard *sh;
	size_t n;
};

struct fwd {
	const struct backend_cfg *cfg;
	struct fwd_bus *bus;
	size_t shard_size; /* FWD_SHARD_SIZE; tests set CDNALLOW_FWD_SHARD_SIZE */
	char *fw_backend;
	bool scanned;
	bool rt_policy;		       /* the runtime policy exists */
	char *policy_path;	       /* permanent policy, NULL when missing */
	char **rt_rules, **perm_rules; /* the policy's rich rules, NULL when it is missing */
	bool rt_zone;		       /* the old runtime zone exists */
	char **rt_zone_sources;	       /* its sources */
	char *zone_path;	       /* the old permanent zone, NULL when missing */
	struct fwd_fam fam[2];
	bool reloaded;	   /* the last apply reloaded firewalld (or tried to) */
	bool failed_first; /* the last apply failed with nothing of ours there before it */
};

/* Reads every cdnallow object, runtime and permanent, into f. */
int fwd_scan(struct fwd *f, struct diag *d);
/* Frees what fwd_scan() read; f may be scanned again. */
void fwd_scan_release(struct fwd *f);
/* The twin (0 = a, 1 = b) that is the shard's only runtime source, -1 for none or both. */
int fwd_active(const struct fwd_shard *m);
/* Shard k of family i, added (empty, unused) when the family has none so far. */
struct fwd_shard *fwd_shard_at(struct fwd *f, int i, size_t k);
/*
 * The policy's rich rules for the configured ports of each shard's twin that
 * twin() picks (0 = a, 1 = b; -1: the shard is unused).
 */
int fwd_want_rules(const struct fwd *f,
		   int (*twin)(const struct fwd *f, int i, size_t k, const void *arg),
		   const void *arg, char ***out);
/*
 * Reloads firewalld with every runtime-only setting of the host carried across
 * (objects named cdnallow* excepted); *failed counts the objects whose settings
 * could not be restored.
 */
int fwd_reload_carrying(struct fwd *f, size_t *failed, struct diag *d);
/*
 * The policy and the ipsets of shards 0 .. part[i].n - 1 (fwd_create.c). When
 * firewalld has no runtime copy of one of them: one reload, with spare
 * shards, while it allows nothing of ours; else they are made permanently
 * only and *limited says to plan with the runtime shards alone.
 */
int fwd_ensure_objects(struct fwd *f, const struct fwd_part part[2], bool *limited, struct diag *d);
/* backend_ops.apply (fwd_sync.c). */
int fwd_sync_apply(struct fwd *f, const struct plan *p, struct diag *d);

#endif
