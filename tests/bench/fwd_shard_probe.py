#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What a sharded firewalld layout would cost (issue 19), measured directly
over D-Bus in a private firewalld (run by bench_firewalld_shards.sh, inside
its mount namespace): N made-up /24s over ceil(N/S) ipsets of S entries
(probe4-K, each with an idle twin probe4-Kb) and a policy whose rich rules
name every shard. Times the first fill shard by shard, the benchmark's 1 %
update (the first N/100 prefixes go, as many new ones come after the end:
two shards change) done per shard as cdnallow swaps twins today, and single
addEntry/removeEntry calls on an empty set with 0 and N entries in the
table. Prints one line per call: label, wall seconds, firewalld CPU seconds
(from /proc/PID/stat), the 1-minute load. Not a test: nothing is checked.

    fwd_shard_probe.py N S FIREWALLD_PID
"""
import sys
import time

import dbus

N, S, PID = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
K = (N + S - 1) // S
BUS = dbus.SystemBus()
ROOT = BUS.get_object("org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1")
IPSET = dbus.Interface(ROOT, "org.fedoraproject.FirewallD1.ipset")
POLICY = dbus.Interface(ROOT, "org.fedoraproject.FirewallD1.policy")
FW = dbus.Interface(ROOT, "org.fedoraproject.FirewallD1")
CFG = dbus.Interface(BUS.get_object("org.fedoraproject.FirewallD1",
                                    "/org/fedoraproject/FirewallD1/config"),
                     "org.fedoraproject.FirewallD1.config")


def cpu():
    v = open(f"/proc/{PID}/stat").read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / 100


def timed(label, f, *a):
    c0, t0 = cpu(), time.monotonic()
    f(*a, timeout=3000)
    dt = time.monotonic() - t0
    load = open("/proc/loadavg").read().split()[0]
    print(f"{label}: wall {dt:.3f} s, firewalld cpu {cpu() - c0:.2f} s, load {load}", flush=True)
    return dt


def p24(i):
    k = 2 * i
    return f"{20 + k // 65536}.{(k // 256) % 256}.{k % 256}.0/24"


def name(k, twin=""):
    return f"probe4-{k}{twin}"


def rules(names):
    return [f'rule family="ipv4" source ipset="{s}" port port="{p}" protocol="tcp" accept'
            for s in names for p in (80, 443)]


def single_calls(label):
    for j in range(3):
        e = f"30.{len(label)}.{j}.0/24"
        timed(f"addEntry on empty {name(1, 'b')}, {label}", IPSET.addEntry, name(1, "b"), e)
        timed(f"removeEntry on {name(1, 'b')}, {label}", IPSET.removeEntry, name(1, "b"), e)


def main():
    for k in range(K):
        for twin in ("", "b"):
            CFG.addIPSet(name(k, twin), ("", "", "", "hash:net",
                                         {"family": "inet", "maxelem": "1048576"}, []))
    CFG.addPolicy("probe", {"ingress_zones": ["ANY"], "egress_zones": ["HOST"],
                            "priority": dbus.Int32(-1),
                            "rich_rules": rules([name(k) for k in range(K)])})
    timed("reload (creates the objects, empty)", FW.reload)
    single_calls("0 entries in the table")
    total = 0
    for k in range(K):
        total += timed(f"first fill {name(k)} ({S})", IPSET.setEntries, name(k),
                       [p24(i) for i in range(k * S, min(N, (k + 1) * S))])
    print(f"first fill, all {K} shards: wall {total:.3f} s")
    u, last = N // 100, K - 1
    new0 = [p24(i) for i in range(u, S)]
    newl = [p24(i) for i in range(last * S, N + u)]
    act = [name(k) for k in range(K)]
    both = act + [name(0, "b"), name(last, "b")]
    total = timed(f"1% update: fill {name(0, 'b')} ({len(new0)})", IPSET.setEntries,
                  name(0, "b"), new0)
    total += timed(f"1% update: fill {name(last, 'b')} ({len(newl)})", IPSET.setEntries,
                   name(last, "b"), newl)
    total += timed(f"1% update: setPolicySettings, new rules in ({len(rules(both))})",
                   POLICY.setPolicySettings, "probe", {"rich_rules": rules(both)})
    act[0], act[last] = name(0, "b"), name(last, "b")
    total += timed(f"1% update: setPolicySettings, old rules out ({len(rules(act))})",
                   POLICY.setPolicySettings, "probe", {"rich_rules": rules(act)})
    total += timed(f"1% update: empty {name(0)}", IPSET.setEntries, name(0), [])
    total += timed(f"1% update: empty {name(last)}", IPSET.setEntries, name(last), [])
    print(f"1% update, runtime calls: wall {total:.3f} s")
    single_calls(f"{N} entries in the table")
    t0 = time.monotonic()
    for k in range(K):
        IPSET.getEntries(name(k), timeout=600)
        IPSET.getEntries(name(k, "b"), timeout=600)
    print(f"getEntries of all {2 * K} runtime ipsets: wall {time.monotonic() - t0:.3f} s")


main()
