/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to src/doctor: reading the kernel's rules the way the checks need
 * them. Reads only; a failure is NULL (the caller says what it could not see).
 */
#ifndef CDNALLOW_DOCTOR_READ_H
#define CDNALLOW_DOCTOR_READ_H

#include <stdbool.h>

/* `nft -j list ruleset` (json) or `nft -a list ruleset`, malloc'ed, or NULL. */
char *doctor_read_nft(bool json);
/* The output of an iptables-save program when it shows rules or a drop policy, or NULL. */
char *doctor_read_save(const char *prog);

#endif
