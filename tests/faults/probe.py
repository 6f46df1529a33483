#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Connection prober of the fault suite: runs inside one test namespace (the
"cdn" host or the "outsider"), tries TCP connections to the origin's web
ports round-robin with a 1 s timeout until STOP_FILE exists, and keeps the
running counts "ok bad" in COUNT_FILE (rewritten atomically after every
attempt; each failure is also logged with its time in COUNT_FILE.log) so the suite can take the difference around each fault case. It only
ever connects to the addresses given on its command line.

usage: probe.py COUNT_FILE STOP_FILE ADDR:PORT|[ADDR6]:PORT...
"""
import os
import socket
import sys
import time


def target(spec):
    host, port = spec.rsplit(":", 1)
    fam = socket.AF_INET6 if host.startswith("[") else socket.AF_INET
    return fam, host.strip("[]"), int(port)


def main():
    count, stop = sys.argv[1], sys.argv[2]
    targets = [target(s) for s in sys.argv[3:]]
    ok = bad = 0
    i = 0
    tmp = count + ".tmp"
    while not os.path.exists(stop):
        fam, host, port = targets[i % len(targets)]
        i += 1
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(1.0)
        t0 = time.time()
        try:
            s.connect((host, port))
            ok += 1
        except OSError as e:
            bad += 1
            # when and what failed, so a failure can be matched with what ran then
            with open(count + ".log", "a") as log:
                log.write("%.3f %s:%d %s\n" % (t0, host, port, e))
        finally:
            s.close()
        with open(tmp, "w") as f:
            f.write("%d %d\n" % (ok, bad))
        os.rename(tmp, count)
        time.sleep(0.02)
    return 0


if __name__ == "__main__":
    sys.exit(main())
