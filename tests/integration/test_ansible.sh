#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Ansible module and role of contrib/ansible with Debian's ansible-core,
# against localhost (connection local) INSIDE a network namespace, backend
# nftables, made-up list (203.0.113.0/24, 2001:db8:cd::/48; allow_test_ranges):
# check mode reports changed and changes nothing, the real run installs the
# sets and writes the [output:list] file, the second run reports
# changed=false, a deleted output alone is a change the next run repairs
# (ruleset untouched), --diff shows the prefixes, a
# broken source fails with cdnallow's message; then the role in a throwaway
# root (binary install, no scheduler) writes a config cdnallow accepts and is
# idempotent. Never touches the host's firewall or /etc.
set -uo pipefail
: "${CDNALLOW:?} ${TESTS_DIR:?}"
. "$TESTS_DIR/integration/lib/netns.sh"
netns_require
command -v ansible-playbook >/dev/null || netns_skip "needs ansible-playbook (apt-get install ansible-core)"
netns_init ops-ans
netns_new host
T=$NETNS_TMP
CONTRIB=$(cd "$TESTS_DIR/../contrib/ansible" && pwd)

export ANSIBLE_LIBRARY=$CONTRIB/library ANSIBLE_ROLES_PATH=$CONTRIB/roles
export ANSIBLE_LOCAL_TEMP=$T/ansible-tmp ANSIBLE_REMOTE_TEMP=$T/ansible-tmp ANSIBLE_HOME=$T/ansible-home
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0

printf '[cdnallow]\nbackend = nftables\n[guard]\nallow_test_ranges = true\n' >"$T/cdnallow.conf"
printf '[output:list]\nformat = text\npath = %s/out.txt\n' "$T" >>"$T/cdnallow.conf"
printf '# made-up test list\n203.0.113.0/24\n2001:db8:cd::/48\n' >"$T/list.txt"

cat >"$T/module.yml" <<EOF
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: cdnallow
      cdnallow_sync:
        sources: ["{{ list }}"]
        backend: nftables
        ports: [80, 443]
        mode: allow
        config: $T/cdnallow.conf
        state_dir: $T/state
        metrics_file: $T/metrics.prom
        binary: $CDNALLOW
      register: r
    - name: the result is what the test expects
      ansible.builtin.assert:
        that:
          - r.changed == (expect_changed | bool)
          - r.backend == 'nftables'
          - r.ipv4.add | length == (expect_add4 | int)
          - r.sources[0].status == 'fresh'
          - r.outputs[0].name == 'list'
          - r.outputs[0].status == expect_output
EOF

# play FILE ARGS...: ansible-playbook inside the namespace; output in $T/out
play() {
	local f=$1
	shift
	netns_exec host ansible-playbook -i localhost, "$f" "$@" >"$T/out" 2>&1
}

# recap KEY: the number after KEY= in the PLAY RECAP line of localhost
recap() {
	sed -n "s/^localhost *:.* $1=\([0-9]*\).*/\1/p" "$T/out"
}

ruleset() { netns_exec host nft list ruleset; }

ruleset >"$T/before"
play "$T/module.yml" --check -e list="$T/list.txt" -e expect_changed=true -e expect_add4=1 \
	-e expect_output=would-change || { cat "$T/out"; netns_fail "check mode run"; }
[ "$(recap changed)" = 1 ] || { cat "$T/out"; netns_fail "check mode must report changed=1"; }
ruleset >"$T/after"
diff -u "$T/before" "$T/after" || netns_fail "check mode changed the ruleset"
ok "check mode: changed=true, ruleset untouched"

play "$T/module.yml" -e list="$T/list.txt" -e expect_changed=true -e expect_add4=1 \
	-e expect_output=written || { cat "$T/out"; netns_fail "real run"; }
[ "$(recap changed)" = 1 ] || { cat "$T/out"; netns_fail "real run must report changed=1"; }
# where the set lives is the nftables backend's choice (own table, or an admin's drop table)
netns_exec host nft list ruleset >"$T/ruleset"
grep -q '203\.0\.113\.0/24' "$T/ruleset" || {
	cat "$T/out" "$T/ruleset"
	netns_fail "203.0.113.0/24 not in the kernel"
}
grep -q '2001:db8:cd::/48' "$T/ruleset" || {
	cat "$T/out" "$T/ruleset"
	netns_fail "2001:db8:cd::/48 not in the kernel"
}
grep -qx 'cdnallow_sync_success 1' "$T/metrics.prom" &&
	grep -qx 'cdnallow_changes_applied{op="add"} 2' "$T/metrics.prom" &&
	grep -qx 'cdnallow_prefixes{family="ipv6"} 1' "$T/metrics.prom" ||
	{ cat "$T/metrics.prom"; netns_fail "metrics of the real run"; }
[ "$(stat -c %a "$T/metrics.prom")" = 644 ] || netns_fail "metrics file mode"
ok "real run: changed=true, the sets are in the kernel, metrics written"

ruleset >"$T/before"
play "$T/module.yml" -e list="$T/list.txt" -e expect_changed=false -e expect_add4=0 \
	-e expect_output=unchanged || { cat "$T/out"; netns_fail "second run"; }
[ "$(recap changed)" = 0 ] || { cat "$T/out"; netns_fail "second run must report changed=0"; }
ruleset >"$T/after"
diff -u "$T/before" "$T/after" || netns_fail "the second run changed the ruleset"
ok "second run: changed=false"

rm "$T/out.txt"
play "$T/module.yml" -e list="$T/list.txt" -e expect_changed=true -e expect_add4=0 \
	-e expect_output=written || { cat "$T/out"; netns_fail "run after the output was deleted"; }
has -x '203.0.113.0/24' "$T/out.txt" || netns_fail "the output was not recreated"
ruleset >"$T/after"
diff -u "$T/before" "$T/after" || netns_fail "the output-only run changed the ruleset"
ok "a deleted output alone is changed=true (status written), the ruleset untouched"

# the same source path with one more prefix: check + diff shows it, changes nothing
printf '198.51.100.0/24\n' >>"$T/list.txt"
play "$T/module.yml" --check --diff -e list="$T/list.txt" -e expect_changed=true -e expect_add4=1 \
	-e expect_output=would-change ||
	{ cat "$T/out"; netns_fail "check --diff run"; }
grep -q '^+198\.51\.100\.0/24$' "$T/out" || { cat "$T/out"; netns_fail "--diff does not show +198.51.100.0/24"; }
ruleset >"$T/after"
diff -u "$T/before" "$T/after" || netns_fail "check --diff changed the ruleset"
ok "check --diff shows the added prefix"

cat >"$T/broken.yml" <<EOF
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - cdnallow_sync:
        sources: ["$T/missing.txt"]
        backend: nftables
        config: $T/cdnallow.conf
        state_dir: $T/state
        metrics_file: $T/broken.prom
        binary: $CDNALLOW
      register: r
      ignore_errors: true
    - ansible.builtin.assert:
        that:
          - r.failed
          - r.rc == 1
          - "'missing.txt' in r.msg"
EOF
play "$T/broken.yml" || { cat "$T/out"; netns_fail "broken source run"; }
[ "$(recap ignored)" = 1 ] || { cat "$T/out"; netns_fail "the broken source must fail the task"; }
ruleset >"$T/after"
diff -u "$T/before" "$T/after" || netns_fail "a failed sync changed the ruleset"
grep -qx 'cdnallow_sync_success 0' "$T/broken.prom" || netns_fail "a failed sync writes success 0"
ok "a broken source fails the task with cdnallow's message (metrics: success 0)"

# The role in a throwaway root: binary install, no scheduler (no systemd here).
R=$T/root
cat >"$T/role.yml" <<EOF
- hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: cdnallow
      vars:
        cdnallow_install: binary
        cdnallow_binary_src: $CDNALLOW
        cdnallow_binary: $R/sbin/cdnallow
        cdnallow_config: $R/etc/cdnallow/cdnallow.conf
        cdnallow_state_dir: $R/var/lib/cdnallow
        cdnallow_scheduler: none
        cdnallow_providers: [cloudflare]
        cdnallow_backend: nftables
        cdnallow_mode: allow
        cdnallow_allow_test_ranges: true
        cdnallow_provider_overrides:
          cloudflare: {url: ["https://www.cloudflare.com/ips-v4", "https://www.cloudflare.com/ips-v6"], floor: 10}
        cdnallow_sources:
          - {name: extra, path: $T/list.txt, format: text}
        cdnallow_outputs:
          - {name: f2b, format: fail2ban, path: $R/f2b.local, mode: "0640", test: "fail2ban-client -V"}
        cdnallow_sync_now: false
EOF
mkdir -p "$R/sbin"
play "$T/role.yml" || { cat "$T/out"; netns_fail "role run"; }
[ -x "$R/sbin/cdnallow" ] || netns_fail "role did not install the binary"
[ "$(stat -c %a "$R/var/lib/cdnallow")" = 700 ] || netns_fail "state dir is not 0700"
grep -q '^\[source:extra\]$' "$R/etc/cdnallow/cdnallow.conf" || netns_fail "no [source:extra]"
has -x 'test = fail2ban-client -V' "$R/etc/cdnallow/cdnallow.conf" || netns_fail "no [output:f2b] test"
# cdnallow itself must accept the generated file (unknown keys are errors naming file:line)
"$CDNALLOW" -c "$R/etc/cdnallow/cdnallow.conf" --state-dir "$T/fetch-state" -s "$T/list.txt" \
	fetch >"$T/fetch.out" 2>"$T/fetch.err" || { cat "$T/fetch.err"; netns_fail "cdnallow rejects the role's config"; }
grep -qx '198.51.100.0/24' "$T/fetch.out" || netns_fail "fetch with the role's config"
play "$T/role.yml" || { cat "$T/out"; netns_fail "second role run"; }
[ "$(recap changed)" = 0 ] || { cat "$T/out"; netns_fail "the role is not idempotent"; }
ok "role: binary, config cdnallow accepts, state dir 0700, idempotent"

echo "PASS: $pass checks"
