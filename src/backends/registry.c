// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one table of firewall backends, `backend_find` by name and `auto`
 * (docs/architecture.md §1: the backend whose detect() scores highest, nftables when no
 * firewall is in use). It must never hold state: callers keep the pointer.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "backend.h"
#include "diag.h"

extern const struct backend_ops backend_nftables;
extern const struct backend_ops backend_iptables;
extern const struct backend_ops backend_ufw;
extern const struct backend_ops backend_firewalld;

/* Preference order for equal scores in `auto`. */
const struct backend_ops *const backend_registry[] = {
	&backend_firewalld, &backend_ufw, &backend_nftables, &backend_iptables, NULL,
};

const struct backend_ops *backend_find(const char *name)
{
	for (size_t i = 0; backend_registry[i]; i++)
		if (backend_registry[i]->name && !strcmp(backend_registry[i]->name, name))
			return backend_registry[i];
	return NULL;
}

const struct backend_ops *backend_auto(struct diag *d)
{
	const struct backend_ops *best = &backend_nftables;
	int best_score = 0;

	for (size_t i = 0; backend_registry[i]; i++) {
		const struct backend_ops *b = backend_registry[i];
		int score = b->detect ? b->detect(d) : 0;

		if (score == -ENOTCONN)
			return NULL; /* in use but unreachable: the error is in d */
		if (score < 0) {
			diag_warn(d, "auto: cannot tell whether %s is in use: %s", b->name,
				  strerror(-score));
			continue;
		}
		if (score > best_score) {
			best = b;
			best_score = score;
		}
	}
	return best;
}
