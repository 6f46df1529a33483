/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The sd-bus plumbing shared by fwd_dbus.c (ipsets, zones) and fwd_policy.c
 * (the policy, carrying runtime settings across a reload). Private to those
 * two files; only built with libsystemd. Nothing here decides anything.
 */
#ifndef CDNALLOW_FWD_BUS_INT_H
#define CDNALLOW_FWD_BUS_INT_H

#include <systemd/sd-bus.h>

struct diag;

#define FWD_NAME "org.fedoraproject.FirewallD1"
#define FWD_PATH "/org/fedoraproject/FirewallD1"
#define FWD_CFG_PATH FWD_PATH "/config"
#define FWD_IF_IPSET FWD_NAME ".ipset"
#define FWD_IF_ZONE FWD_NAME ".zone"
#define FWD_IF_POLICY FWD_NAME ".policy"
#define FWD_IF_DIRECT FWD_NAME ".direct"
#define FWD_IF_CFG FWD_NAME ".config"
#define FWD_IF_CFG_IPSET FWD_NAME ".config.ipset"
#define FWD_IF_CFG_ZONE FWD_NAME ".config.zone"
#define FWD_IF_CFG_POLICY FWD_NAME ".config.policy"

struct fwd_bus {
	sd_bus *bus;
};

/* A negative errno for r / e, with a diag naming the method (what). */
int fwd_fail(struct diag *d, const char *what, int r, const sd_bus_error *e);
int fwd_new_call(struct fwd_bus *b, const char *path, const char *iface, const char *member,
		 sd_bus_message **m);
/* Sends m (unref'd here) and keeps the reply in *reply when reply is not NULL. */
int fwd_send(struct fwd_bus *b, sd_bus_message *m, sd_bus_message **reply, const char *what,
	     struct diag *d);
/* Calls a method taking zero, one or two string arguments. */
int fwd_call_s(struct fwd_bus *b, const char *path, const char *iface, const char *member,
	       const char *a1, const char *a2, sd_bus_message **reply, struct diag *d);
/* Calls a method returning as; *out is never NULL on success. */
int fwd_call_strv(struct fwd_bus *b, const char *path, const char *iface, const char *member,
		  const char *a1, char ***out, struct diag *d);
/* Calls a method taking an optional string and an as. */
int fwd_call_with_strv(struct fwd_bus *b, const char *path, const char *iface, const char *member,
		       const char *a1, char *const *v, struct diag *d);
/*
 * Object path of permanent object name (list/by_name: getZoneNames/getZoneByName…), NULL if none;
 * list NULL: the object is known to exist.
 */
int fwd_cfg_path(struct fwd_bus *b, const char *list, const char *by_name, const char *name,
		 char **path, struct diag *d);

#endif
