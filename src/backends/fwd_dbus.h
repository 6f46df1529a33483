/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The few firewalld D-Bus calls the firewalld backend needs (runtime
 * interface org.fedoraproject.FirewallD1 and permanent interface
 * org.fedoraproject.FirewallD1.config), over sd-bus. Private to
 * src/backends/firewalld*.c. These wrappers never decide anything and never
 * touch objects other than the ones named by the caller.
 */
#ifndef CDNALLOW_FWD_DBUS_H
#define CDNALLOW_FWD_DBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "build_config.h"

struct diag;
struct fwd_bus;

/* A zone as far as cdnallow cares: sources ("ipset:x") and ports ("80/tcp"). */
struct fwd_zone {
	char **sources; /* NULL-terminated, owned */
	char **ports;	/* NULL-terminated "port/proto", owned */
	char *target;
};

void fwd_strv_free(char **v);
size_t fwd_strv_len(char *const *v);
bool fwd_strv_has(char *const *v, const char *s);
/* The same strings, in any order (no duplicates expected). */
bool fwd_strv_same(char *const *a, char *const *b);
void fwd_zone_release(struct fwd_zone *z);

/* Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS honoured); calls time out after timeout_s. */
int fwd_bus_open(struct fwd_bus **out, unsigned timeout_s, struct diag *d);
void fwd_bus_free(struct fwd_bus *b);
/* Per-call timeout for the slow calls (bulk entries, reload). */
void fwd_bus_set_timeout(struct fwd_bus *b, unsigned timeout_s);
/* True when org.fedoraproject.FirewallD1 has an owner on the bus. */
int fwd_is_running(struct fwd_bus *b, bool *running, struct diag *d);

/* Runtime ("state", getDefaultZone) and permanent ("FirewallBackend") strings. */
int fwd_get_state(struct fwd_bus *b, char **out, struct diag *d);
int fwd_get_backend(struct fwd_bus *b, char **out, struct diag *d);
int fwd_get_default_zone(struct fwd_bus *b, char **out, struct diag *d);
int fwd_reload(struct fwd_bus *b, struct diag *d);

/* Runtime ipsets and zones. */
int fwd_rt_ipsets(struct fwd_bus *b, char ***out, struct diag *d);
int fwd_rt_entries(struct fwd_bus *b, const char *ipset, char ***out, struct diag *d);
int fwd_rt_set_entries(struct fwd_bus *b, const char *ipset, char *const *entries, struct diag *d);
int fwd_rt_entry(struct fwd_bus *b, const char *ipset, const char *entry, bool add, struct diag *d);
int fwd_rt_zones(struct fwd_bus *b, char ***out, struct diag *d);
int fwd_rt_zone(struct fwd_bus *b, const char *zone, struct fwd_zone *z, struct diag *d);
/* source is "ipset:cdnallow4". */
int fwd_rt_zone_source(struct fwd_bus *b, const char *zone, const char *source, bool add,
		       struct diag *d);

/* Permanent configuration; *path is NULL when the object does not exist. */
int fwd_cfg_ipset_path(struct fwd_bus *b, const char *name, char **path, struct diag *d);
/* The permanent ipsets' names, and the path of one of them known to exist. */
int fwd_cfg_ipsets(struct fwd_bus *b, char ***out, struct diag *d);
int fwd_cfg_ipset_named(struct fwd_bus *b, const char *name, char **path, struct diag *d);
int fwd_cfg_zone_path(struct fwd_bus *b, const char *name, char **path, struct diag *d);
int fwd_cfg_entries(struct fwd_bus *b, const char *path, char ***out, struct diag *d);
int fwd_cfg_set_entries(struct fwd_bus *b, const char *path, char *const *entries, struct diag *d);
int fwd_cfg_add_ipset(struct fwd_bus *b, const char *name, const char *family,
		      const char *description, struct diag *d);
int fwd_cfg_zone(struct fwd_bus *b, const char *path, struct fwd_zone *z, struct diag *d);
/* Removes a permanent ipset or zone object. */
int fwd_cfg_remove(struct fwd_bus *b, const char *path, bool zone, struct diag *d);

/* Policies (fwd_policy.c): the rich rules of a runtime or permanent policy. */
int fwd_rt_policies(struct fwd_bus *b, char ***out, struct diag *d);
int fwd_rt_policy_rules(struct fwd_bus *b, const char *policy, char ***out, struct diag *d);
/* Makes the runtime policy's rich rules exactly rules (firewalld removes before it adds). */
int fwd_rt_set_policy_rules(struct fwd_bus *b, const char *policy, char *const *rules,
			    struct diag *d);
int fwd_cfg_policy_path(struct fwd_bus *b, const char *name, char **path, struct diag *d);
int fwd_cfg_policy_rules(struct fwd_bus *b, const char *path, char ***out, struct diag *d);
/*
 * Creates (path NULL) or rewrites the permanent policy: every zone to the host
 * (ingress ANY, egress HOST), priority -1 (before the zones), target CONTINUE.
 */
int fwd_cfg_put_policy(struct fwd_bus *b, const char *name, const char *path, char *const *rules,
		       const char *description, struct diag *d);
/* Removes the permanent policy at path. */
int fwd_cfg_remove_policy(struct fwd_bus *b, const char *path, struct diag *d);

/*
 * What a reload of firewalld throws away (FlushAllOnReload=yes, its default):
 * every zone's and policy's runtime settings, every ipset's runtime
 * entries and the runtime direct chains, rules and passthroughs. fwd_carry_save reads them
 * (skipping objects named skip), and fwd_carry_restore writes them back after the reload.
 */
struct fwd_carry;
int fwd_carry_save(struct fwd_bus *b, const char *skip, struct fwd_carry **out, struct diag *d);
/* Best effort: each object that cannot be restored is a warning in d naming it; the count. */
int fwd_carry_restore(struct fwd_bus *b, const struct fwd_carry *c, size_t *failed, struct diag *d);
void fwd_carry_free(struct fwd_carry *c);

#endif
