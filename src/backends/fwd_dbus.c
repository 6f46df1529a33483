// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Thin sd-bus wrappers for the firewalld D-Bus API (firewalld 1.x): one
 * function per method the firewalld backend uses, errors turned into a
 * negative errno plus a diag naming the method and firewalld's own message.
 * It must never decide what to change, never call reload on its own and
 * never address an object the caller did not name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fwd_dbus.h"

#if HAVE_LIBSYSTEMD
#include "fwd_bus_int.h"
#endif

void fwd_strv_free(char **v)
{
	char **p;

	if (!v)
		return;
	for (p = v; *p; p++)
		free(*p);
	free(v);
}

size_t fwd_strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

bool fwd_strv_has(char *const *v, const char *s)
{
	for (; v && *v; v++) {
		if (!strcmp(*v, s))
			return true;
	}
	return false;
}

bool fwd_strv_same(char *const *a, char *const *b)
{
	if (fwd_strv_len(a) != fwd_strv_len(b))
		return false;
	for (; a && *a; a++) {
		if (!fwd_strv_has(b, *a))
			return false;
	}
	return true;
}

void fwd_zone_release(struct fwd_zone *z)
{
	if (!z)
		return;
	fwd_strv_free(z->sources);
	fwd_strv_free(z->ports);
	free(z->target);
	memset(z, 0, sizeof(*z));
}

#if HAVE_LIBSYSTEMD

/* Access denials mean firewalld lockdown or polkit, which callers explain differently. */
int fwd_fail(struct diag *d, const char *what, int r, const sd_bus_error *e)
{
	if (sd_bus_error_is_set(e)) {
		if (sd_bus_error_has_name(e, SD_BUS_ERROR_ACCESS_DENIED) ||
		    strstr(e->name, "NotAuthorized") || strstr(e->message ?: "", "ACCESS_DENIED"))
			r = -EACCES;
		else if (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
			 sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
			r = -ENOENT;
		else if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
			r = -ETIMEDOUT;
		diag_err(d, "firewalld %s: %s", what, e->message ? e->message : e->name);
	} else {
		diag_err(d, "firewalld %s: %s", what, strerror(-r));
	}
	return r < 0 ? r : -EIO;
}

int fwd_bus_open(struct fwd_bus **out, unsigned timeout_s, struct diag *d)
{
	struct fwd_bus *b;
	int r;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	r = sd_bus_open_system(&b->bus);
	if (r < 0) {
		diag_err(d, "cannot connect to the system D-Bus: %s", strerror(-r));
		free(b);
		return r == -ENOENT || r == -ECONNREFUSED ? -ENOENT : r;
	}
	fwd_bus_set_timeout(b, timeout_s);
	*out = b;
	return 0;
}

void fwd_bus_free(struct fwd_bus *b)
{
	if (!b)
		return;
	sd_bus_flush_close_unref(b->bus);
	free(b);
}

void fwd_bus_set_timeout(struct fwd_bus *b, unsigned timeout_s)
{
	sd_bus_set_method_call_timeout(b->bus, (uint64_t)timeout_s * 1000000u);
}

int fwd_new_call(struct fwd_bus *b, const char *path, const char *iface, const char *member,
		 sd_bus_message **m)
{
	return sd_bus_message_new_method_call(b->bus, m, FWD_NAME, path, iface, member);
}

/* Sends m (unref'd here) and keeps the reply in *reply when reply is not NULL. */
int fwd_send(struct fwd_bus *b, sd_bus_message *m, sd_bus_message **reply, const char *what,
	     struct diag *d)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call(b->bus, m, 0, &e, reply);
	sd_bus_message_unref(m);
	if (r < 0)
		r = fwd_fail(d, what, r, &e);
	sd_bus_error_free(&e);
	return r < 0 ? r : 0;
}

/* Calls a method taking zero or one or two string arguments. */
int fwd_call_s(struct fwd_bus *b, const char *path, const char *iface, const char *member,
	       const char *a1, const char *a2, sd_bus_message **reply, struct diag *d)
{
	sd_bus_message *m = NULL;
	int r;

	r = fwd_new_call(b, path, iface, member, &m);
	if (r >= 0 && a1)
		r = sd_bus_message_append(m, "s", a1);
	if (r >= 0 && a2)
		r = sd_bus_message_append(m, "s", a2);
	if (r < 0) {
		sd_bus_message_unref(m);
		return fwd_fail(d, member, r, NULL);
	}
	return fwd_send(b, m, reply, member, d);
}

int fwd_call_strv(struct fwd_bus *b, const char *path, const char *iface, const char *member,
		  const char *a1, char ***out, struct diag *d)
{
	sd_bus_message *reply = NULL;
	int r;

	*out = NULL;
	r = fwd_call_s(b, path, iface, member, a1, NULL, &reply, d);
	if (r < 0)
		return r;
	r = sd_bus_message_read_strv(reply, out);
	sd_bus_message_unref(reply);
	if (r < 0)
		return fwd_fail(d, member, r, NULL);
	if (!*out) {
		*out = calloc(1, sizeof(char *));
		if (!*out)
			return -ENOMEM;
	}
	return 0;
}

int fwd_call_with_strv(struct fwd_bus *b, const char *path, const char *iface, const char *member,
		       const char *a1, char *const *v, struct diag *d)
{
	static char *const empty[] = { NULL };
	sd_bus_message *m = NULL;
	int r;

	r = fwd_new_call(b, path, iface, member, &m);
	if (r >= 0 && a1)
		r = sd_bus_message_append(m, "s", a1);
	if (r >= 0)
		r = sd_bus_message_append_strv(m, (char **)(v ? v : empty));
	if (r < 0) {
		sd_bus_message_unref(m);
		return fwd_fail(d, member, r, NULL);
	}
	return fwd_send(b, m, NULL, member, d);
}

int fwd_is_running(struct fwd_bus *b, bool *running, struct diag *d)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int has = 0, r;

	*running = false;
	r = sd_bus_call_method(b->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "NameHasOwner", &e, &reply, "s", FWD_NAME);
	if (r < 0) {
		r = fwd_fail(d, "NameHasOwner", r, &e);
		sd_bus_error_free(&e);
		return r;
	}
	r = sd_bus_message_read(reply, "b", &has);
	sd_bus_message_unref(reply);
	if (r < 0)
		return fwd_fail(d, "NameHasOwner", r, NULL);
	*running = has;
	return 0;
}

static int get_prop(struct fwd_bus *b, const char *path, const char *iface, const char *prop,
		    char **out, struct diag *d)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r;

	*out = NULL;
	r = sd_bus_get_property_string(b->bus, FWD_NAME, path, iface, prop, &e, out);
	if (r < 0)
		r = fwd_fail(d, prop, r, &e);
	sd_bus_error_free(&e);
	return r < 0 ? r : 0;
}

int fwd_get_state(struct fwd_bus *b, char **out, struct diag *d)
{
	return get_prop(b, FWD_PATH, FWD_NAME, "state", out, d);
}

int fwd_get_backend(struct fwd_bus *b, char **out, struct diag *d)
{
	return get_prop(b, FWD_CFG_PATH, FWD_IF_CFG, "FirewallBackend", out, d);
}

int fwd_get_default_zone(struct fwd_bus *b, char **out, struct diag *d)
{
	sd_bus_message *reply = NULL;
	const char *s;
	int r;

	*out = NULL;
	r = fwd_call_s(b, FWD_PATH, FWD_NAME, "getDefaultZone", NULL, NULL, &reply, d);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "s", &s);
	if (r >= 0) {
		*out = strdup(s);
		r = *out ? 0 : -ENOMEM;
	}
	sd_bus_message_unref(reply);
	return r;
}

int fwd_reload(struct fwd_bus *b, struct diag *d)
{
	return fwd_call_s(b, FWD_PATH, FWD_NAME, "reload", NULL, NULL, NULL, d);
}

int fwd_rt_ipsets(struct fwd_bus *b, char ***out, struct diag *d)
{
	return fwd_call_strv(b, FWD_PATH, FWD_IF_IPSET, "getIPSets", NULL, out, d);
}

int fwd_rt_entries(struct fwd_bus *b, const char *ipset, char ***out, struct diag *d)
{
	return fwd_call_strv(b, FWD_PATH, FWD_IF_IPSET, "getEntries", ipset, out, d);
}

int fwd_rt_set_entries(struct fwd_bus *b, const char *ipset, char *const *entries, struct diag *d)
{
	return fwd_call_with_strv(b, FWD_PATH, FWD_IF_IPSET, "setEntries", ipset, entries, d);
}

int fwd_rt_entry(struct fwd_bus *b, const char *ipset, const char *entry, bool add, struct diag *d)
{
	return fwd_call_s(b, FWD_PATH, FWD_IF_IPSET, add ? "addEntry" : "removeEntry", ipset, entry,
			  NULL, d);
}

int fwd_rt_zones(struct fwd_bus *b, char ***out, struct diag *d)
{
	return fwd_call_strv(b, FWD_PATH, FWD_IF_ZONE, "getZones", NULL, out, d);
}

static int read_ports(sd_bus_message *m, char ***out)
{
	char **v = NULL, **nv;
	const char *port, *proto;
	size_t n = 0;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "(ss)");
	if (r < 0)
		return r;
	for (;;) {
		r = sd_bus_message_read(m, "(ss)", &port, &proto);
		if (r <= 0)
			break;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv) {
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[n + 1] = NULL;
		if (asprintf(&v[n], "%s/%s", port, proto) < 0) {
			v[n] = NULL;
			r = -ENOMEM;
			break;
		}
		n++;
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r < 0) {
		fwd_strv_free(v);
		return r;
	}
	if (!v)
		v = calloc(1, sizeof(*v));
	*out = v;
	return v ? 0 : -ENOMEM;
}

/* Reads the a{sv} of getZoneSettings2 / getSettings2, keeping what cdnallow checks. */
static int read_zone(sd_bus_message *m, struct fwd_zone *z)
{
	const char *key, *s;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0) {
		r = sd_bus_message_enter_container(m, 'e', "sv");
		if (r <= 0)
			break;
		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			break;
		if (!strcmp(key, "sources") && !z->sources) {
			r = sd_bus_message_enter_container(m, 'v', "as");
			if (r >= 0)
				r = sd_bus_message_read_strv(m, &z->sources);
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
		} else if (!strcmp(key, "ports") && !z->ports) {
			r = sd_bus_message_enter_container(m, 'v', "a(ss)");
			if (r >= 0)
				r = read_ports(m, &z->ports);
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
		} else if (!strcmp(key, "target") && !z->target) {
			r = sd_bus_message_read(m, "v", "s", &s);
			if (r >= 0) {
				z->target = strdup(s);
				if (!z->target)
					r = -ENOMEM;
			}
		} else {
			r = sd_bus_message_skip(m, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r >= 0 && !z->sources) {
		z->sources = calloc(1, sizeof(char *));
		if (!z->sources)
			r = -ENOMEM;
	}
	if (r >= 0 && !z->ports) {
		z->ports = calloc(1, sizeof(char *));
		if (!z->ports)
			r = -ENOMEM;
	}
	if (r < 0)
		fwd_zone_release(z);
	return r < 0 ? r : 0;
}

static int get_zone(struct fwd_bus *b, const char *path, const char *iface, const char *member,
		    const char *name, struct fwd_zone *z, struct diag *d)
{
	sd_bus_message *reply = NULL;
	int r;

	memset(z, 0, sizeof(*z));
	r = fwd_call_s(b, path, iface, member, name, NULL, &reply, d);
	if (r < 0)
		return r;
	r = read_zone(reply, z);
	sd_bus_message_unref(reply);
	return r < 0 ? fwd_fail(d, member, r, NULL) : 0;
}

int fwd_rt_zone(struct fwd_bus *b, const char *zone, struct fwd_zone *z, struct diag *d)
{
	return get_zone(b, FWD_PATH, FWD_IF_ZONE, "getZoneSettings2", zone, z, d);
}

int fwd_rt_zone_source(struct fwd_bus *b, const char *zone, const char *source, bool add,
		       struct diag *d)
{
	return fwd_call_s(b, FWD_PATH, FWD_IF_ZONE, add ? "addSource" : "removeSource", zone,
			  source, NULL, d);
}

int fwd_cfg_path(struct fwd_bus *b, const char *list, const char *by_name, const char *name,
		 char **path, struct diag *d)
{
	sd_bus_message *reply = NULL;
	char **names = NULL;
	const char *p;
	int r;

	*path = NULL;
	/* list NULL: the caller has just listed the names */
	r = list ? fwd_call_strv(b, FWD_CFG_PATH, FWD_IF_CFG, list, NULL, &names, d) : 0;
	if (r < 0)
		return r;
	if (list && !fwd_strv_has(names, name))
		goto out;
	r = fwd_call_s(b, FWD_CFG_PATH, FWD_IF_CFG, by_name, name, NULL, &reply, d);
	if (r < 0)
		goto out;
	r = sd_bus_message_read(reply, "o", &p);
	if (r >= 0) {
		*path = strdup(p);
		r = *path ? 0 : -ENOMEM;
	}
out:
	sd_bus_message_unref(reply);
	fwd_strv_free(names);
	return r < 0 ? r : 0;
}

int fwd_cfg_ipset_path(struct fwd_bus *b, const char *name, char **path, struct diag *d)
{
	return fwd_cfg_path(b, "getIPSetNames", "getIPSetByName", name, path, d);
}

int fwd_cfg_ipsets(struct fwd_bus *b, char ***out, struct diag *d)
{
	return fwd_call_strv(b, FWD_CFG_PATH, FWD_IF_CFG, "getIPSetNames", NULL, out, d);
}

int fwd_cfg_ipset_named(struct fwd_bus *b, const char *name, char **path, struct diag *d)
{
	return fwd_cfg_path(b, NULL, "getIPSetByName", name, path, d);
}

int fwd_cfg_zone_path(struct fwd_bus *b, const char *name, char **path, struct diag *d)
{
	return fwd_cfg_path(b, "getZoneNames", "getZoneByName", name, path, d);
}

int fwd_cfg_entries(struct fwd_bus *b, const char *path, char ***out, struct diag *d)
{
	return fwd_call_strv(b, path, FWD_IF_CFG_IPSET, "getEntries", NULL, out, d);
}

int fwd_cfg_set_entries(struct fwd_bus *b, const char *path, char *const *entries, struct diag *d)
{
	return fwd_call_with_strv(b, path, FWD_IF_CFG_IPSET, "setEntries", NULL, entries, d);
}

int fwd_cfg_add_ipset(struct fwd_bus *b, const char *name, const char *family,
		      const char *description, struct diag *d)
{
	sd_bus_message *m = NULL;
	int r;

	/* maxelem only caps growth; the iptables backend's ipset default (65536) is too small. */
	r = fwd_new_call(b, FWD_CFG_PATH, FWD_IF_CFG, "addIPSet", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "s(ssssa{ss}as)", name, "", name, description,
					  "hash:net", 2, "family", family, "maxelem", "4194304", 0);
	if (r < 0) {
		sd_bus_message_unref(m);
		return fwd_fail(d, "addIPSet", r, NULL);
	}
	return fwd_send(b, m, NULL, "addIPSet", d);
}

int fwd_cfg_zone(struct fwd_bus *b, const char *path, struct fwd_zone *z, struct diag *d)
{
	return get_zone(b, path, FWD_IF_CFG_ZONE, "getSettings2", NULL, z, d);
}

int fwd_cfg_remove(struct fwd_bus *b, const char *path, bool zone, struct diag *d)
{
	return fwd_call_s(b, path, zone ? FWD_IF_CFG_ZONE : FWD_IF_CFG_IPSET, "remove", NULL, NULL,
			  NULL, d);
}

#else /* !HAVE_LIBSYSTEMD */

int fwd_bus_open(struct fwd_bus **out, unsigned timeout_s, struct diag *d)
{
	(void)timeout_s;
	*out = NULL;
	diag_err(d, "firewalld backend: built without libsystemd (sd-bus)");
	return -ENOTSUP;
}

void fwd_bus_free(struct fwd_bus *b)
{
	(void)b;
}

#endif
