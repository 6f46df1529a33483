// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Builds the plan: the per-family element difference between the wanted and
 * the installed set. Pure data; it never touches a firewall.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "plan.h"
#include "prefix_set.h"

int plan_build(struct plan *p, const struct prefix_set *want, const struct prefix_set *installed)
{
	p->want = want;
	p->add = prefix_set_new();
	p->del = prefix_set_new();
	if (!p->add || !p->del)
		return -ENOMEM;
	p->installed[PLAN_V4] = prefix_set_count(installed, AF_INET);
	p->installed[PLAN_V6] = prefix_set_count(installed, AF_INET6);
	return prefix_set_diff(want, installed, p->add, p->del, p->unchanged);
}

void plan_set_flags(struct plan *p, bool present, bool complete)
{
	p->create = !present;
	p->repair = present && !complete;
}

void plan_release(struct plan *p)
{
	prefix_set_free(p->add);
	prefix_set_free(p->del);
	memset(p, 0, sizeof(*p));
}

bool plan_is_noop(const struct plan *p)
{
	return !p->create && !p->repair && p->add->n == 0 && p->del->n == 0;
}
