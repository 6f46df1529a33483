/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel ipsets of type hash:net: read a set back (`ipset save`), list every
 * set's header (over netlink, as `ipset list -t` shows it), replace its whole
 * content atomically (over netlink: fill a temporary set, swap, destroy the
 * temporary), destroy it. Used by the iptables backend and
 * by any backend whose rules match on an ipset.
 */
#ifndef CDNALLOW_IPSET_H
#define CDNALLOW_IPSET_H

#include <stdbool.h>
#include <stddef.h>

struct diag;
struct prefix_set;

#define IPSET_TMP_SUFFIX "-tmp"
#define IPSET_NAME_MAX 31 /* IPSET_MAXNAMELEN - 1 in the kernel uapi */

struct ipset_info {
	bool exists;
	bool compatible; /* hash:net of the expected family */
	bool plain;	 /* no entry carries options (nomatch, timeout, ...) cdnallow never sets */
	int family;	 /* AF_INET, AF_INET6, or 0 when unknown */
	char type[32];	 /* "hash:net" */
	unsigned long maxelem; /* 0 when not shown */
};

/*
 * One set to replace: name holds exactly the prefixes of want whose family is
 * family. known: live and tmp_exists describe the kernel (from the caller's own
 * listing), so no `ipset list` runs for this set; else they are probed.
 */
struct ipset_job {
	const char *name;
	int family; /* AF_INET or AF_INET6 */
	const struct prefix_set *want;
	bool known;
	struct ipset_info live;
	bool tmp_exists;
};

/* maxelem for n entries with headroom: max(65536, next power of two >= 2n). */
unsigned long ipset_maxelem_for(size_t n);
/*
 * Reads set name (`ipset save NAME`): its prefixes of family are appended to out
 * (which may be NULL to only probe) and info describes it. An absent set is not
 * an error: info->exists is false.
 */
int ipset_read(const char *name, int family, struct prefix_set *out, struct ipset_info *info,
	       struct diag *d);
/*
 * What ipset_read does with the output of `ipset save NAME` (text, cut in
 * place): the pure parsing step, for the fuzzer and tests. info->exists is true.
 */
int ipset_parse_save(char *text, const char *name, int family, struct prefix_set *out,
		     struct ipset_info *info, struct diag *d);
/*
 * The header of every set, read over netlink in one header-only dump: *text
 * (owned) holds one block per set as `ipset list -t` prints it, each starting
 * with "Name: ". Empty when there is no set.
 */
int ipset_list_headers(char **text, struct diag *d);
/*
 * Copies the header block of set name in text (the output of ipset_list_headers)
 * into buf: 1 when found, 0 when absent, -E2BIG when it does not fit.
 */
int ipset_header_block(const char *text, const char *name, char *buf, size_t size);
/* The "Type:" and "Header:" lines of `ipset list -t NAME` (text cut in place) into info. */
void ipset_parse_list_header(char *text, int family, struct ipset_info *info);
/*
 * Makes every job's set hold exactly its prefixes, creating missing sets, over
 * one netlink socket: every NAME-tmp is filled before any is swapped in, so the
 * rules matching on NAME see the old content, then the new, never a partial one,
 * and a refusal leaves every live set as it was. A live set of another type or
 * family is an error (-EEXIST): swap cannot replace it. headers (may be NULL):
 * after a success, what ipset_list_headers would give, read over the same
 * socket, or NULL when that read failed (the sets are replaced all the same).
 */
int ipset_replace(const struct ipset_job *jobs, size_t njobs, char **headers, struct diag *d);
/* Destroys name and name-tmp when they exist; -EBUSY when a rule still uses name. */
int ipset_destroy(const char *name, struct diag *d);

#endif
