#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""firewalld's view of cdnallow's objects in one D-Bus connection (each
firewall-cmd is a Python start-up of ~0.5 s; the fault suite needs this view
after every case). Run inside the test's private mount namespace, where the
system bus is the test's own. Prints, one per line, space-separated:

    rt-sources SOURCE...        ipsets the runtime rules of policy cdnallow name
    perm-sources SOURCE...      ipsets the permanent rules of policy cdnallow name
    rt NAME ENTRY...            runtime entries of ipset NAME
    perm NAME ENTRY...          permanent entries of ipset NAME

for every ipset of cdnallow's that exists: cdnallow4, cdnallow4b, cdnallow6,
cdnallow6b and the shards of long lists, cdnallow4-N, cdnallow4-Nb, ... It
only reads.
"""
import re
import sys

import dbus

NAME = re.compile(r"^cdnallow[46](-[1-9][0-9]*)?b?$")
BUS = "org.fedoraproject.FirewallD1"
ROOT = "/org/fedoraproject/FirewallD1"


def line(*words):
    print(" ".join(str(w) for w in words))


def sources(rules):
    """The ipsets rich rules name, as "ipset:NAME", each once, in order."""
    out = []
    for rule in rules:
        m = re.search(r' source ipset="([^"]+)" ', str(rule))
        if m and "ipset:" + m.group(1) not in out:
            out.append("ipset:" + m.group(1))
    return out


def main():
    bus = dbus.SystemBus()
    fw = bus.get_object(BUS, ROOT)
    ipset = dbus.Interface(fw, BUS + ".ipset")
    policy = dbus.Interface(fw, BUS + ".policy")
    cfg = dbus.Interface(bus.get_object(BUS, ROOT + "/config"), BUS + ".config")
    rt_sets = set(ipset.getIPSets())
    rt = policy.getPolicySettings("cdnallow").get("rich_rules", [])
    line("rt-sources", *sources(rt))
    ppath = cfg.getPolicyByName("cdnallow")
    cpol = dbus.Interface(bus.get_object(BUS, ppath), BUS + ".config.policy")
    line("perm-sources", *sources(cpol.getSettings().get("rich_rules", [])))
    perm_sets = set(cfg.getIPSetNames())
    for name in sorted(n for n in rt_sets | perm_sets if NAME.match(str(n))):
        if name in rt_sets:
            line("rt", name, *sorted(ipset.getEntries(name)))
        if name in perm_sets:
            p = cfg.getIPSetByName(name)
            cset = dbus.Interface(bus.get_object(BUS, p), BUS + ".config.ipset")
            line("perm", name, *sorted(cset.getEntries()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
