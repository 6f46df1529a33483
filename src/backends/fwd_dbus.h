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
/* port is "80/tcp"; source is "ipset:cdnallow4". */
int fwd_rt_zone_port(struct fwd_bus *b, const char *zone, const char *port, bool add,
		     struct diag *d);
int fwd_rt_zone_source(struct fwd_bus *b, const char *zone, const char *source, bool add,
		       struct diag *d);

/* Permanent configuration; *path is NULL when the object does not exist. */
int fwd_cfg_ipset_path(struct fwd_bus *b, const char *name, char **path, struct diag *d);
int fwd_cfg_zone_path(struct fwd_bus *b, const char *name, char **path, struct diag *d);
int fwd_cfg_entries(struct fwd_bus *b, const char *path, char ***out, struct diag *d);
int fwd_cfg_set_entries(struct fwd_bus *b, const char *path, char *const *entries, struct diag *d);
int fwd_cfg_add_ipset(struct fwd_bus *b, const char *name, const char *family,
		      const char *description, struct diag *d);
int fwd_cfg_zone(struct fwd_bus *b, const char *path, struct fwd_zone *z, struct diag *d);
/* Creates the zone (path NULL) or replaces all its settings with z. */
int fwd_cfg_put_zone(struct fwd_bus *b, const char *name, const char *path,
		     const struct fwd_zone *z, const char *description, struct diag *d);
/* Removes a permanent ipset or zone object. */
int fwd_cfg_remove(struct fwd_bus *b, const char *path, bool zone, struct diag *d);

#endif
