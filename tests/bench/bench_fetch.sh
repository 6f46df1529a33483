#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CPU cost of `cdnallow fetch` on the sources path, against the loopback
# HTTPS server of the integration tests: process start alone, the full AWS
# ip-ranges.json (2 MB) parsed by the cloudfront provider from a local file
# and over HTTPS, and the no-op run where every endpoint answers 304 (target:
# at most 20 ms CPU). CPU time depends on the machine and its load, so the
# instructions each run retires (valgrind callgrind, one run) are printed too.
# Prints a markdown table for docs/benchmarks.md.
# Usage: CDNALLOW=build/cdnallow FIXTURES_DIR=... bench_fetch.sh [RUNS]
# Needs neither root nor network; contacts only 127.0.0.1.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CDNALLOW=${CDNALLOW:-$HERE/../../build/cdnallow}
FIXTURES_DIR=${FIXTURES_DIR:-$HERE/../fixtures}
RUNS=${1:-30}
. "$HERE/../integration/lib/https_server.sh"
https_server_start "$FIXTURES_DIR"

mkconf() { # NAME [LINES...]
	local name=$1
	shift
	printf '[fetch]\nca_file = %s\n' "$T/ca.pem" >"$T/$name.conf"
	printf '%s\n' "$@" >>"$T/$name.conf"
	mkdir -p "$T/st-$name"
}
mkconf local "[provider:cloudfront]" "path = $FIXTURES_DIR/aws-ip-ranges.json"
mkconf fresh "[provider:cloudfront]" "url = $U/ok/aws-ip-ranges.json"
mkconf noop "[provider:cloudfront]" "url = $U/etag/aws-ip-ranges.json"
mkconf noop4 \
	"[provider:cloudflare]" "url = $U/etag/cloudflare-ips-v4.txt, $U/etag/cloudflare-ips-v6.txt" \
	"[provider:fastly]" "url = $U/etag/fastly.json" \
	"[provider:cloudfront]" "url = $U/etag/aws-ip-ranges.json" \
	"[provider:gcore]" "url = $U/etag/gcore.json"

"$PY" - "$CDNALLOW" "$T" "$RUNS" <<'PY'
import os, resource, shutil, statistics, subprocess, sys, time

exe, t, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

def measure(args):
    cpu, wall = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([exe] + args, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        t1 = time.perf_counter()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i == 0:
            continue  # primes the cache (and the 304 path)
        cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
        wall.append((t1 - t0) * 1000)
    return statistics.median(cpu), min(cpu), statistics.median(wall)

def instructions(args):
    if not shutil.which("valgrind"):
        return "n/a"
    out = os.path.join(t, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, exe] + args,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for line in open(out):
        if line.startswith("summary:"):
            return "%.1f" % (int(line.split()[1]) / 1e6)
    return "?"

def fetch(name, *extra):
    return ["fetch", "-c", "%s/%s.conf" % (t, name), "--state-dir", "%s/st-%s" % (t, name),
            "--json"] + list(extra)

cases = [
    ("process start (`cdnallow providers`)", ["providers"]),
    ("cloudfront, local ip-ranges.json (parse 2 MB)", fetch("local", "-p", "cloudfront")),
    ("cloudfront over HTTPS, 200 (download + parse)", fetch("fresh", "-p", "cloudfront")),
    ("cloudfront over HTTPS, 304 no-op", fetch("noop", "-p", "cloudfront")),
    ("4 providers (5 URLs) over HTTPS, 304 no-op",
     fetch("noop4", "-p", "cloudflare,fastly,cloudfront,gcore")),
]
print("| case (%d runs each) | CPU median ms | CPU min ms | wall median ms | instructions (M) |"
      % runs)
print("|---|---:|---:|---:|---:|")
for label, args in cases:
    med, lo, wall = measure(args)
    print("| %s | %.1f | %.1f | %.1f | %s |" % (label, med, lo, wall, instructions(args)))
PY
