// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The firewalld D-Bus calls around policy cdnallow (runtime and permanent
 * rich rules) and the carrying of runtime-only settings across the one reload
 * that creating objects needs: a reload with FlushAllOnReload=yes (firewalld's
 * default) forgets every runtime port, service, source and rich rule of every
 * zone and policy (where fail2ban's firewalld actions keep their bans) and
 * every runtime ipset entry. Like fwd_dbus.c, it never decides what to change,
 * never reloads and never writes an object it was not asked to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "fwd_dbus.h"

#if HAVE_LIBSYSTEMD
#include "fwd_bus_int.h"

/* The keys setZoneSettings2 / setPolicySettings apply at runtime (firewalld 1.x). */
static const char *const zone_keys[] = { "services",
					 "ports",
					 "icmp_blocks",
					 "masquerade",
					 "forward_ports",
					 "interfaces",
					 "sources",
					 "rules_str",
					 "protocols",
					 "source_ports",
					 "icmp_block_inversion",
					 "forward",
					 NULL };
static const char *const policy_keys[] = { "services",	 "ports",	  "icmp_blocks",
					   "masquerade", "forward_ports", "rich_rules",
					   "protocols",	 "source_ports",  NULL };

/* The as under key want in the a{sv} at m's read position; empty when absent. */
static int read_dict_strv(sd_bus_message *m, const char *want, char ***out)
{
	const char *key;
	int r;

	*out = NULL;
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0) {
		r = sd_bus_message_enter_container(m, 'e', "sv");
		if (r <= 0)
			break;
		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0 && !strcmp(key, want) && !*out) {
			r = sd_bus_message_enter_container(m, 'v', "as");
			if (r >= 0)
				r = sd_bus_message_read_strv(m, out);
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
		} else if (r >= 0) {
			r = sd_bus_message_skip(m, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r >= 0 && !*out) {
		*out = calloc(1, sizeof(char *));
		if (!*out)
			r = -ENOMEM;
	}
	if (r < 0) {
		fwd_strv_free(*out);
		*out = NULL;
	}
	return r < 0 ? r : 0;
}

static int get_rules(struct fwd_bus *b, const char *path, const char *iface, const char *member,
		     const char *arg, char ***out, struct diag *d)
{
	sd_bus_message *reply = NULL;
	int r;

	*out = NULL;
	r = fwd_call_s(b, path, iface, member, arg, NULL, &reply, d);
	if (r < 0)
		return r;
	r = read_dict_strv(reply, "rich_rules", out);
	sd_bus_message_unref(reply);
	return r < 0 ? fwd_fail(d, member, r, NULL) : 0;
}

int fwd_rt_policies(struct fwd_bus *b, char ***out, struct diag *d)
{
	return fwd_call_strv(b, FWD_PATH, FWD_IF_POLICY, "getPolicies", NULL, out, d);
}

int fwd_rt_policy_rules(struct fwd_bus *b, const char *policy, char ***out, struct diag *d)
{
	return get_rules(b, FWD_PATH, FWD_IF_POLICY, "getPolicySettings", policy, out, d);
}

int fwd_cfg_policy_path(struct fwd_bus *b, const char *name, char **path, struct diag *d)
{
	return fwd_cfg_path(b, "getPolicyNames", "getPolicyByName", name, path, d);
}

int fwd_cfg_policy_rules(struct fwd_bus *b, const char *path, char ***out, struct diag *d)
{
	return get_rules(b, path, FWD_IF_CFG_POLICY, "getSettings", NULL, out, d);
}

static int append_strv_entry(sd_bus_message *m, const char *key, char *const *v)
{
	static char *const empty[] = { NULL };
	int r;

	r = sd_bus_message_open_container(m, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", key);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', "as");
	if (r >= 0)
		r = sd_bus_message_append_strv(m, (char **)(v ? v : empty));
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

int fwd_rt_set_policy_rules(struct fwd_bus *b, const char *policy, char *const *rules,
			    struct diag *d)
{
	sd_bus_message *m = NULL;
	int r;

	r = fwd_new_call(b, FWD_PATH, FWD_IF_POLICY, "setPolicySettings", &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", policy);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0)
		r = append_strv_entry(m, "rich_rules", rules);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0) {
		sd_bus_message_unref(m);
		return fwd_fail(d, "setPolicySettings", r, NULL);
	}
	return fwd_send(b, m, NULL, "setPolicySettings", d);
}

static int append_policy(sd_bus_message *m, const char *name, char *const *rules,
			 const char *description)
{
	static char *const any[] = { "ANY", NULL }, *const host[] = { "HOST", NULL };
	int r;

	r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "short", "s", name);
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "description", "s", description);
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "target", "s", "CONTINUE");
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "priority", "i", -1);
	if (r >= 0)
		r = append_strv_entry(m, "ingress_zones", any);
	if (r >= 0)
		r = append_strv_entry(m, "egress_zones", host);
	if (r >= 0)
		r = append_strv_entry(m, "rich_rules", rules);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

int fwd_cfg_put_policy(struct fwd_bus *b, const char *name, const char *path, char *const *rules,
		       const char *description, struct diag *d)
{
	const char *member = path ? "update" : "addPolicy";
	sd_bus_message *m = NULL;
	int r;

	if (path)
		r = fwd_new_call(b, path, FWD_IF_CFG_POLICY, member, &m);
	else
		r = fwd_new_call(b, FWD_CFG_PATH, FWD_IF_CFG, member, &m);
	if (r >= 0 && !path)
		r = sd_bus_message_append(m, "s", name);
	if (r >= 0)
		r = append_policy(m, name, rules, description);
	if (r < 0) {
		sd_bus_message_unref(m);
		return fwd_fail(d, member, r, NULL);
	}
	return fwd_send(b, m, NULL, member, d);
}

int fwd_cfg_remove_policy(struct fwd_bus *b, const char *path, struct diag *d)
{
	return fwd_call_s(b, path, FWD_IF_CFG_POLICY, "remove", NULL, NULL, NULL, d);
}

enum carry_kind { CARRY_ZONE, CARRY_POLICY, CARRY_IPSET, CARRY_DIRECT };

/* firewalld's direct interface (deprecated, still where fail2ban's firewallcmd-* actions work). */
static const char *const direct_get[] = { "getAllChains", "getAllRules", "getAllPassthroughs" };
static const char *const direct_add[] = { "addChain", "addRule", "addPassthrough" };
static const char *const direct_type[] = { "(sss)", "(sssias)", "(sas)" };
static const char *const direct_inner[] = { "sss", "sssias", "sas" };

struct carry_obj {
	enum carry_kind kind;
	char *name;
	sd_bus_message *settings; /* zones and policies: the getter's reply */
	char **entries;		  /* ipsets */
};

struct fwd_carry {
	struct carry_obj *v;
	size_t n;
};

static int carry_push(struct fwd_carry *c, enum carry_kind kind, const char *name,
		      struct carry_obj **out)
{
	struct carry_obj *nv, *o;

	nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	c->v = nv;
	o = &c->v[c->n];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	o->name = strdup(name);
	if (!o->name)
		return -ENOMEM;
	c->n++;
	*out = o;
	return 0;
}

/* Chains before rules before passthroughs: the order they are added back in. */
static int carry_direct(struct fwd_bus *b, struct fwd_carry *c, struct diag *d)
{
	struct carry_obj *o;
	int r = 0;

	for (int k = 0; r >= 0 && k < 3; k++) {
		r = carry_push(c, CARRY_DIRECT, direct_get[k], &o);
		if (r >= 0)
			r = fwd_call_s(b, FWD_PATH, FWD_IF_DIRECT, direct_get[k], NULL, NULL,
				       &o->settings, d);
	}
	if (r < 0)
		diag_prefix(d, "direct configuration: ");
	return r;
}

void fwd_carry_free(struct fwd_carry *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		sd_bus_message_unref(c->v[i].settings);
		fwd_strv_free(c->v[i].entries);
	}
	free(c->v);
	free(c);
}

static int carry_one(struct fwd_bus *b, struct fwd_carry *c, enum carry_kind kind, const char *name,
		     struct diag *d)
{
	static const char *const iface[] = { FWD_IF_ZONE, FWD_IF_POLICY, FWD_IF_IPSET };
	static const char *const getter[] = { "getZoneSettings2", "getPolicySettings",
					      "getEntries" };
	struct carry_obj *o;
	int r;

	r = carry_push(c, kind, name, &o);
	if (r < 0)
		return r;
	if (kind == CARRY_IPSET)
		return fwd_call_strv(b, FWD_PATH, iface[kind], getter[kind], name, &o->entries, d);
	r = fwd_call_s(b, FWD_PATH, iface[kind], getter[kind], name, NULL, &o->settings, d);
	if (r < 0)
		diag_prefix(d, "%s: ", name);
	return r;
}

int fwd_carry_save(struct fwd_bus *b, const char *skip, struct fwd_carry **out, struct diag *d)
{
	static const char *const iface[] = { FWD_IF_ZONE, FWD_IF_POLICY, FWD_IF_IPSET };
	static const char *const list[] = { "getZones", "getPolicies", "getIPSets" };
	struct fwd_carry *c;
	char **names = NULL;
	int r = 0;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (int k = CARRY_ZONE; r >= 0 && k <= CARRY_IPSET; k++) {
		r = fwd_call_strv(b, FWD_PATH, iface[k], list[k], NULL, &names, d);
		for (char **s = names; r >= 0 && s && *s; s++) {
			if (strncmp(*s, skip, strlen(skip)))
				r = carry_one(b, c, k, *s, d);
		}
		fwd_strv_free(names);
		names = NULL;
	}
	if (r >= 0)
		r = carry_direct(b, c, d);
	if (r < 0) {
		fwd_carry_free(c);
		return r;
	}
	*out = c;
	return 0;
}

static bool key_in(const char *const *keys, const char *key)
{
	for (; *keys; keys++) {
		if (!strcmp(*keys, key))
			return true;
	}
	return false;
}

/* Appends to m the entries of the saved a{sv} src whose keys are runtime-settable. */
static int copy_settings(sd_bus_message *m, sd_bus_message *src, const char *const *keys)
{
	const char *key;
	int r;

	r = sd_bus_message_rewind(src, 1);
	if (r >= 0)
		r = sd_bus_message_enter_container(src, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	while (r >= 0) {
		r = sd_bus_message_enter_container(src, 'e', "sv");
		if (r <= 0)
			break;
		r = sd_bus_message_read(src, "s", &key);
		if (r >= 0 && key_in(keys, key)) {
			r = sd_bus_message_open_container(m, 'e', "sv");
			if (r >= 0)
				r = sd_bus_message_append(m, "s", key);
			if (r >= 0)
				r = sd_bus_message_copy(m, src, 0);
			if (r >= 0)
				r = sd_bus_message_close_container(m);
		} else if (r >= 0) {
			r = sd_bus_message_skip(src, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(src);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool same_entries(char **a, char **b)
{
	size_t n = fwd_strv_len(a);

	if (n != fwd_strv_len(b))
		return false;
	qsort(a, n, sizeof(*a), cmp_str);
	qsort(b, n, sizeof(*b), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(a[i], b[i]))
			return false;
	}
	return true;
}

/* setEntries only when the reload changed the list: firewalld re-adds them with
 * FlushAllOnReload=no. */
static int restore_ipset(struct fwd_bus *b, const struct carry_obj *o, struct diag *d)
{
	char **now = NULL;
	int r;

	r = fwd_call_strv(b, FWD_PATH, FWD_IF_IPSET, "getEntries", o->name, &now, d);
	if (r >= 0 && !same_entries(now, o->entries))
		r = fwd_call_with_strv(b, FWD_PATH, FWD_IF_IPSET, "setEntries", o->name, o->entries,
				       d);
	fwd_strv_free(now);
	return r;
}

/* Adds back the chain, rule or passthrough at src's position; one firewalld kept is no error. */
static int add_direct(struct fwd_bus *b, int k, sd_bus_message *src, struct diag *d)
{
	sd_bus_message *m = NULL;
	struct diag one;
	int r;

	r = fwd_new_call(b, FWD_PATH, FWD_IF_DIRECT, direct_add[k], &m);
	/* The struct's members are the method's arguments, in order. */
	if (r >= 0)
		r = sd_bus_message_copy(m, src, 1);
	if (r < 0) {
		sd_bus_message_unref(m);
		return fwd_fail(d, direct_add[k], r, NULL);
	}
	diag_init(&one);
	r = fwd_send(b, m, NULL, direct_add[k], &one);
	if (r < 0 && strstr(one.msg, "ALREADY_ENABLED"))
		r = 0;
	if (r < 0)
		diag_err(d, "%s", one.msg);
	diag_release(&one);
	return r;
}

static int restore_direct(struct fwd_bus *b, const struct carry_obj *o, struct diag *d)
{
	int k = 0, r;

	while (k < 2 && strcmp(o->name, direct_get[k]))
		k++;
	r = sd_bus_message_rewind(o->settings, 1);
	if (r >= 0)
		r = sd_bus_message_enter_container(o->settings, 'a', direct_type[k]);
	while (r >= 0) {
		r = sd_bus_message_enter_container(o->settings, 'r', direct_inner[k]);
		if (r <= 0)
			break;
		r = add_direct(b, k, o->settings, d);
		if (r >= 0)
			r = sd_bus_message_exit_container(o->settings);
	}
	return r < 0 ? r : 0;
}

static int restore_one(struct fwd_bus *b, const struct carry_obj *o, struct diag *d)
{
	const char *member = o->kind == CARRY_ZONE ? "setZoneSettings2" : "setPolicySettings";
	sd_bus_message *m = NULL;
	int r;

	if (o->kind == CARRY_IPSET)
		return restore_ipset(b, o, d);
	if (o->kind == CARRY_DIRECT)
		return restore_direct(b, o, d);
	r = fwd_new_call(b, FWD_PATH, o->kind == CARRY_ZONE ? FWD_IF_ZONE : FWD_IF_POLICY, member,
			 &m);
	if (r >= 0)
		r = sd_bus_message_append(m, "s", o->name);
	if (r >= 0)
		r = copy_settings(m, o->settings, o->kind == CARRY_ZONE ? zone_keys : policy_keys);
	if (r < 0) {
		sd_bus_message_unref(m);
		return fwd_fail(d, member, r, NULL);
	}
	return fwd_send(b, m, NULL, member, d);
}

int fwd_carry_restore(struct fwd_bus *b, const struct fwd_carry *c, size_t *failed, struct diag *d)
{
	static const char *const kind[] = { "zone", "policy", "ipset", "direct" };
	struct diag one;

	*failed = 0;
	for (size_t i = 0; c && i < c->n; i++) {
		diag_init(&one);
		if (restore_one(b, &c->v[i], &one) < 0) {
			diag_warn(d,
				  "firewalld: could not restore the runtime settings of %s '%s' "
				  "after the reload: %s",
				  kind[c->v[i].kind], c->v[i].name, one.msg);
			(*failed)++;
		}
		diag_release(&one);
	}
	return 0;
}

#endif
