#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# CPU cost of the most common run of cdnallow: the timer fires, every source
# answers 304 Not Modified (or the file source is unchanged) and the plan is a
# no-op (target of the performance issue: at most 20 ms CPU, user + system).
# Cases: process start (`--version`); a local file source with the nftables
# backend, `plan -q` and `sync -q`; the default provider (cloudflare, two
# URLs) over HTTPS answering 304, `sync -q` and `plan -q` with `ca_file` set
# to the test CA, and `sync -q` without `ca_file`, i.e. with the system CA
# store as in production (a copy of /etc/ssl/certs plus the test CA,
# bind-mounted over /etc/ssl/certs in a private mount namespace). Everything
# runs in a throw-away network namespace (nftables sets, and the loopback HTTPS
# server of the integration tests with its test CA), deleted on exit: it never
# touches the host's firewall or CA store and contacts nothing but 127.0.0.1
# inside it. Each case
# is primed once (first sync), then every measured run is checked to be a
# no-op (exit 0; the HTTPS runs must have been answered 304). CPU is user +
# system time of the child (getrusage), libraries are the shared objects the
# dynamic loader mapped (LD_DEBUG=files, dlopen()ed ones included),
# instructions the user-space instructions of one run (valgrind callgrind,
# independent of the machine's load; BENCH_CALLGRIND=0 skips them). Prints a
# Markdown table for docs/benchmarks.md.
#
# usage: bench_noop.sh CDNALLOW_BINARY [RUNS]   (default 30 runs per case)
set -u
if [ "${1:-}" != --inner ]; then
	CDNALLOW=${1:?usage: bench_noop.sh CDNALLOW_BINARY [RUNS]}
	[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)" >&2; exit 77; }
	command -v nft >/dev/null || { echo "needs nft" >&2; exit 77; }
	NS=cdna-noop-bench-$$
	trap 'ip netns del $NS 2>/dev/null' EXIT
	ip netns add $NS || exit 1
	ip netns exec $NS unshare -m bash "$0" --inner "$(realpath "$CDNALLOW")" "${2:-30}"
	exit $?
fi
CDNALLOW=$2
RUNS=$3
HERE=$(cd "$(dirname "$0")" && pwd)
FIXTURES_DIR=${FIXTURES_DIR:-$HERE/../fixtures}
ip link set lo up
. "$HERE/../integration/lib/https_server.sh"
https_server_start "$FIXTURES_DIR" || { echo "HTTPS test server did not start" >&2; exit 1; }

# the system store with the test CA added, seen only inside this mount namespace
mkdir "$T/certs" && cp -rL /etc/ssl/certs/. "$T/certs/" &&
	cp "$T/ca.pem" "$T/certs/$(openssl x509 -hash -noout -in "$T/ca.pem").0" &&
	cat "$T/ca.pem" >>"$T/certs/ca-certificates.crt" &&
	mount --make-rprivate / && mount --bind "$T/certs" /etc/ssl/certs ||
	{ echo "cannot set up the CA store copy" >&2; exit 1; }

printf '203.0.113.0/24\n2001:db8:cd::/48\n' >"$T/list.txt"
cat >"$T/file.conf" <<EOF
[cdnallow]
providers =
backend = nftables
state_dir = $T/st-file
[guard]
allow_test_ranges = true
[source:test]
path = $T/list.txt
EOF
cat >"$T/https.conf" <<EOF
[cdnallow]
providers = cloudflare
backend = nftables
state_dir = $T/st-https
[fetch]
ca_file = $T/ca.pem
[provider:cloudflare]
url = $U/etag/cloudflare-ips-v4.txt, $U/etag/cloudflare-ips-v6.txt
EOF

sed '/^\[fetch\]/d; /^ca_file/d; s/st-https/st-sys/' "$T/https.conf" >"$T/sys.conf"

"$PY" - "$CDNALLOW" "$T" "$RUNS" <<'PY'
import glob, os, resource, shutil, statistics, subprocess, sys, time

exe, t, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
log = os.path.join(t, "requests.log")

def run(args, env=None):
    return subprocess.run([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env)

def logged():
    with open(log) as f:
        return f.read().splitlines()

def measure(args, http):
    cpu, wall = [], []
    for _ in range(runs):
        seen = len(logged())
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = run(args)
        t1 = time.perf_counter()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.exit("%s: exit %d: %s" % (args, p.returncode, p.stderr.decode()))
        new = logged()[seen:]
        if http and (len(new) != 2 or any('"status": 304' not in l for l in new)):
            sys.exit("%s: not a 304 no-op: %s" % (args, new))
        cpu.append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
        wall.append((t1 - t0) * 1000)
    return statistics.median(cpu), min(cpu), statistics.median(wall)

def libraries(args):
    out = os.path.join(t, "ld")
    env = dict(os.environ, LD_DEBUG="files", LD_DEBUG_OUTPUT=out)
    run(args, env)
    n = 0
    for f in glob.glob(out + ".*"):
        n += sum("generating link map" in l for l in open(f))
        os.unlink(f)
    return n

def instructions(args):
    if os.environ.get("BENCH_CALLGRIND") == "0" or not shutil.which("valgrind"):
        return "n/a"
    out = os.path.join(t, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, exe] + args,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for line in open(out):
        if line.startswith("summary:"):
            return "%.1f" % (int(line.split()[1]) / 1e6)
    return "?"

def cfg(name, cmd):
    return [cmd, "-q", "-c", os.path.join(t, name + ".conf")]

def prime(name):
    p = run(cfg(name, "sync"))
    if p.returncode != 0:
        sys.exit("priming %s: exit %d: %s" % (name, p.returncode, p.stderr.decode()))

cases = [
    ("(a) process start: `--version`", ["--version"], False, None),
    ("(b) file source, nftables: `plan -q`", cfg("file", "plan"), False, "file"),
    ("(b) file source, nftables: `sync -q`", cfg("file", "sync"), False, None),
    ("(c) cloudflare (2 URLs) over HTTPS, 304, nftables: `sync -q`", cfg("https", "sync"), True,
     "https"),
    ("(c) cloudflare (2 URLs) over HTTPS, 304, nftables: `plan -q`", cfg("https", "plan"), True,
     None),
    ("(c) the same without `ca_file` (system CA store, 140+ CAs): `sync -q`", cfg("sys", "sync"),
     True, "sys"),
]
print("| case (%d runs each, no-op checked) | CPU median ms | CPU min ms | wall median ms "
      "| libraries loaded | instructions (M) |" % runs)
print("|---|---:|---:|---:|---:|---:|")
for label, args, http, first in cases:
    if first == "https":
        run(["flush", "-q", "-c", os.path.join(t, "file.conf")])  # one table per namespace
    if first:
        prime(first)
        prime(first)  # the second sync is the first no-op: it fills the caches
    med, lo, wall = measure(args, http)
    print("| %s | %.1f | %.1f | %.1f | %d | %s |" % (label, med, lo, wall, libraries(args),
                                                     instructions(args)))
PY
