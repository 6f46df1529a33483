#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Probes what sharding each family over several ipsets would cost in firewalld
# (issue 19): fwd_shard_probe.py in a real firewalld in its own network +
# mount namespace with a private system D-Bus (never the host's). cdnallow
# itself is not run. Not a test; needs root.
#
#   tests/bench/bench_firewalld_shards.sh [N] [SHARD_SIZE]   (100000 5000)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
n=${1:-100000}
s=${2:-5000}
. "$here/../integration/lib/netns.sh"
. "$here/../integration/lib/firewalld.sh"
fwd_require
fwd_begin fwdshards
echo "firewalld $(fwd_exec firewall-cmd --version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"$(date -u +%F)"
fwd_exec /usr/bin/python3 "$here/fwd_shard_probe.py" "$n" "$s" "$FWD_PID"
