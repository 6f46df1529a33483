/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tables and base chains iptables-nft made for cdnallow's rules
 * (ipt_created.c), so that flush removes them and nothing else.
 */
#ifndef CDNALLOW_IPT_CREATED_H
#define CDNALLOW_IPT_CREATED_H

#include <stddef.h>

struct diag;
struct ipt_dump;
struct ipt_want;

/* Before the rules w go in: records (family 4/6) what of their tables and chains dump lacks. */
void ipt_created_note(const char *state_dir, int fam, const struct ipt_dump *dump,
		      const struct ipt_want *w, size_t n);
/* After flush removed the rules: removes the recorded ones that hold nothing else. */
void ipt_created_remove(const char *state_dir, const struct ipt_dump *dumps, struct diag *d);

#endif
