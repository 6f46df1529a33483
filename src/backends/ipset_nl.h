/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A netlink socket to the kernel's ipset core: requests are queued to the
 * kernel as they are built, several unacknowledged at once, and every reply is
 * read; the first refusal becomes an errno and a diag naming the set, entry
 * and the kernel's reason. Writes only what its caller asks for.
 */
#ifndef CDNALLOW_IPSET_NL_H
#define CDNALLOW_IPSET_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct ipset_entries;
struct ipset_create;
struct ipset_nl;

/* Opens the socket and agrees on the protocol (and the hash:net revision when with_type). */
int ipset_nl_open(struct ipset_nl **out, bool with_type, struct diag *d);
void ipset_nl_close(struct ipset_nl *nl);
/* Where the messages of the requests from now on go. */
void ipset_nl_set_diag(struct ipset_nl *nl, struct diag *d);
/*
 * Queue one request each (name and the entries must live until ipset_nl_wait).
 * They return the first failure seen so far, and send nothing after one.
 */
int ipset_nl_create(struct ipset_nl *nl, const struct ipset_create *c);
/* cmd IPSET_CMD_DESTROY or IPSET_CMD_FLUSH; absent_ok: a missing set is no failure */
int ipset_nl_named(struct ipset_nl *nl, uint8_t cmd, const char *name, bool absent_ok);
int ipset_nl_swap(struct ipset_nl *nl, const char *from, const char *to);
/* As many add/del messages as the entries of a need. */
int ipset_nl_adt(struct ipset_nl *nl, const struct ipset_entries *a);
/*
 * Waits for the outstanding replies, then reads the header of every set (one
 * header-only dump): *text (owned) is what `ipset list -t` prints for them,
 * as ipset_header_format renders each set.
 */
int ipset_nl_list_headers(struct ipset_nl *nl, char **text);
/* Reads every outstanding reply: 0 when all were accepted, else the first failure. */
int ipset_nl_wait(struct ipset_nl *nl);

#endif
