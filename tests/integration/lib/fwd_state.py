#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""firewalld's view of cdnallow's objects in one D-Bus connection (each
firewall-cmd is a Python start-up of ~0.5 s; the fault suite needs this view
after every case). Run inside the test's private mount namespace, where the
system bus is the test's own. Prints, one per line, space-separated:

    rt-sources SOURCE...        runtime sources of zone cdnallow
    perm-sources SOURCE...      permanent sources of zone cdnallow
    rt NAME ENTRY...            runtime entries of ipset NAME
    perm NAME ENTRY...          permanent entries of ipset NAME

for the ipsets cdnallow4, cdnallow4b, cdnallow6, cdnallow6b that exist. It
only reads.
"""
import sys

import dbus

NAMES = ("cdnallow4", "cdnallow4b", "cdnallow6", "cdnallow6b")
BUS = "org.fedoraproject.FirewallD1"
ROOT = "/org/fedoraproject/FirewallD1"


def line(*words):
    print(" ".join(str(w) for w in words))


def main():
    bus = dbus.SystemBus()
    fw = bus.get_object(BUS, ROOT)
    ipset = dbus.Interface(fw, BUS + ".ipset")
    zone = dbus.Interface(fw, BUS + ".zone")
    cfg = dbus.Interface(bus.get_object(BUS, ROOT + "/config"), BUS + ".config")
    rt_sets = set(ipset.getIPSets())
    line("rt-sources", *zone.getSources("cdnallow"))
    zpath = cfg.getZoneByName("cdnallow")
    czone = dbus.Interface(bus.get_object(BUS, zpath), BUS + ".config.zone")
    line("perm-sources", *czone.getSources())
    perm_sets = set(cfg.getIPSetNames())
    for name in NAMES:
        if name in rt_sets:
            line("rt", name, *sorted(ipset.getEntries(name)))
        if name in perm_sets:
            p = cfg.getIPSetByName(name)
            cset = dbus.Interface(bus.get_object(BUS, p), BUS + ".config.ipset")
            line("perm", name, *sorted(cset.getEntries()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
