/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the firewalld backend's files share (firewalld.c reads and removes,
 * fwd_sync.c applies). Policy cdnallow (every zone to the host, before the
 * zones) accepts the web ports from the ipsets with rich rules; it takes
 * nothing away from any zone. Each family has two ipsets, a and b (cdnallow4
 * and cdnallow4b): exactly one, the active one, is named by the policy's
 * rules and the other stays empty, so a large update fills the idle set and
 * then points the rules at it instead of editing a live set entry by entry.
 * Private to src/backends/firewalld.c and fwd_*.c; it must never grow code
 * that talks to firewalld by itself.
 */
#ifndef CDNALLOW_FWD_INT_H
#define CDNALLOW_FWD_INT_H

#include <stdbool.h>

#include "fwd_dbus.h"
#include "fwd_entries.h"

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

/* [family][a/b]: ipset names and the zone source naming them. */
extern const char *const fwd_set_name[2][2];
extern const char *const fwd_set_source[2][2];
extern const char *const fwd_set_family[2];
extern const int fwd_af[2];

/* One family: ipsets a ([0]) and b ([1]). */
struct fwd_fam {
	char *path[2];			   /* permanent ipset objects, NULL when missing */
	struct fwd_entries rt[2], perm[2]; /* .raw NULL when the ipset does not exist */
	bool rt_src[2], perm_src[2]; /* named by the runtime / permanent rules (or old zone) */
};

struct fwd {
	const struct backend_cfg *cfg;
	struct fwd_bus *bus;
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
/* The ipset (0 = a, 1 = b) that is the family's only runtime source, -1 for none or both. */
int fwd_active(const struct fwd_fam *m);
/* The policy's rich rules as apply leaves them: the configured ports for ipsets act[0]/act[1]. */
int fwd_want_rules(const struct fwd *f, const int act[2], char ***out);
/*
 * Reloads firewalld with every runtime-only setting of the host carried across
 * (objects named cdnallow* excepted); *failed counts the objects whose settings
 * could not be restored.
 */
int fwd_reload_carrying(struct fwd *f, size_t *failed, struct diag *d);
/* backend_ops.apply (fwd_sync.c). */
int fwd_sync_apply(struct fwd *f, const struct plan *p, struct diag *d);

#endif
