# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What every shell library of the tests needs (netns.sh and iptables.sh source it).

# has GREP-ARGS...: grep that reads its whole input. Under pipefail, `cmd |
# grep -q` fails at random: grep exits at the first match and cmd dies of
# SIGPIPE writing the rest.
has() {
	grep "$@" >/dev/null
}

# ok TEXT: one passed check, counted in $pass for the final "PASS: N checks".
pass=0
ok() {
	pass=$((pass + 1))
	echo "ok $pass - $*"
}
