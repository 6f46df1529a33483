#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Ansible module: runs `cdnallow sync --json` (or `plan --json` in check mode)
# and reports what it changed. All logic stays in cdnallow; this file only
# builds the command line and maps exit codes and the JSON's `changed` to
# Ansible's result (docs/architecture.md §3, §4b). It never edits a firewall itself.

DOCUMENTATION = r"""
---
module: cdnallow_sync
short_description: Keep the firewall open to a CDN's published ranges with cdnallow
description:
  - Runs C(cdnallow sync --json) on the target. C(changed) is the JSON's C(changed)
    key, so a second run with the same lists reports C(changed=false).
  - In check mode runs C(cdnallow plan --json) instead (exit 2 = drift = changed).
  - The C([output:NAME]) files of the configuration (web-server real-IP configs,
    ban-tool allowlists; role variable C(cdnallow_outputs)) are kept by the same
    sync; an output written counts as C(changed), an output whose test or reload
    failed fails the task with cdnallow's message naming it.
  - With C(--diff) shows the prefixes that would be removed (before) and added (after).
  - Every option maps to the cdnallow command-line option of the same name; unset
    options fall back to the configuration file (C(config)) and then to cdnallow's
    built-in defaults.
options:
  providers:
    description: Built-in providers (C(cdnallow providers)); passed as C(-p a,b).
    type: list
    elements: str
  sources:
    description:
      - Extra sources, each an https URL or a file path (text, JSON or cdnallow JSON).
      - Given without I(providers), only these sources are used.
    type: list
    elements: str
  backend:
    description: Firewall backend.
    type: str
    choices: [auto, nftables, iptables, ufw, firewalld]
  mode:
    description: C(lockdown) also drops non-CDN sources on the ports; C(sets) keeps only the sets, for your own rules.
    type: str
    choices: [allow, lockdown, sets]
  ports:
    description: TCP ports to open (default 80, 443).
    type: list
    elements: int
  config:
    description: Configuration file (default /etc/cdnallow/cdnallow.conf).
    type: path
  state_dir:
    description: State directory (default /var/lib/cdnallow).
    type: path
  offline:
    description: No network; use the cache, then the built-in snapshot.
    type: bool
    default: false
  force:
    description: Apply despite a guard refusal by the floor or shrink rules.
    type: bool
    default: false
  metrics_file:
    description: Write Prometheus textfile metrics (real mode only).
    type: path
  binary:
    description: The cdnallow executable; default the one found in PATH (or /usr/sbin).
    type: path
requirements: [cdnallow]
"""

EXAMPLES = r"""
- name: Allow Cloudflare and Fastly on 80/443
  cdnallow_sync:
    providers: [cloudflare, fastly]
    backend: nftables

- name: Sync from the list the fleet's publisher host serves
  cdnallow_sync:
    sources: [https://ranges.example.internal/cdnallow.json]
    mode: lockdown
"""

RETURN = r"""
changed:
  description: sync changed the firewall (check mode - there is drift).
  type: bool
backend:
  description: The backend used.
  type: str
ipv4:
  description: "{add: [cidr], remove: [cidr], unchanged: N, installed: N}"
  type: dict
ipv6:
  description: Same for IPv6.
  type: dict
sources:
  description: Per source name, status (fresh, not-modified, cached, snapshot, refused), count.
  type: list
outputs:
  description: >-
    Per [output:NAME] of the configuration - name, format, path, status (unchanged,
    written, would-change, test-failed, reload-failed, failed).
  type: list
warnings_cdnallow:
  description: cdnallow's warnings (also shown as Ansible warnings).
  type: list
exit_code:
  description: cdnallow's exit code (plan - 0 in sync, 2 drift; sync - 0).
  type: int
"""

import json

from ansible.module_utils.basic import AnsibleModule


def build_command(module, binary):
    p = module.params
    cmd = [binary, "-q"]
    if p["config"]:
        cmd += ["-c", p["config"]]
    if p["providers"]:
        cmd += ["-p", ",".join(p["providers"])]
    for src in p["sources"] or []:
        cmd += ["-s", src]
    if p["backend"]:
        cmd += ["-b", p["backend"]]
    if p["mode"]:
        cmd += ["--mode", p["mode"]]
    if p["ports"]:
        cmd += ["--ports", ",".join(str(port) for port in p["ports"])]
    if p["state_dir"]:
        cmd += ["--state-dir", p["state_dir"]]
    if p["offline"]:
        cmd.append("--offline")
    if p["force"]:
        cmd.append("--force")
    if module.check_mode:
        cmd.append("plan")
    else:
        if p["metrics_file"]:
            cmd += ["--metrics-file", p["metrics_file"]]
        cmd.append("sync")
    cmd.append("--json")
    return cmd


def family_lines(doc, key):
    lines = []
    for fam in ("ipv4", "ipv6"):
        lines += (doc.get(fam) or {}).get(key) or []
    return "".join(line + "\n" for line in lines)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            providers=dict(type="list", elements="str"),
            sources=dict(type="list", elements="str"),
            backend=dict(type="str", choices=["auto", "nftables", "iptables", "ufw", "firewalld"]),
            mode=dict(type="str", choices=["allow", "lockdown", "sets"]),
            ports=dict(type="list", elements="int"),
            config=dict(type="path"),
            state_dir=dict(type="path"),
            offline=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
            metrics_file=dict(type="path"),
            binary=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    binary = module.params["binary"] or module.get_bin_path(
        "cdnallow", required=True, opt_dirs=["/usr/sbin", "/usr/local/sbin"]
    )
    cmd = build_command(module, binary)
    rc, out, err = module.run_command(cmd, environ_update={"LC_ALL": "C"})
    doc = None
    try:
        doc = json.loads(out) if out.strip() else None
    except ValueError:
        doc = None

    # plan: 0 in sync, 2 drift; sync: 0 ok; 1 always an error (docs/architecture.md §3)
    ok_codes = (0, 2) if module.check_mode else (0,)
    if rc not in ok_codes or not isinstance(doc, dict):
        msg = err.strip() or "cdnallow exited with %d and no message" % rc
        if rc in ok_codes:
            msg = "cdnallow printed no JSON document: %s" % (out.strip()[:200] or "(empty)")
        module.fail_json(msg=msg, cmd=cmd, rc=rc, stdout=out, stderr=err, cdnallow=doc)

    outputs = doc.get("outputs") or []
    # the JSON's changed is the firewall's; a rewritten output file is a change too
    written = any(o.get("status") == "written" for o in outputs)
    changed = rc == 2 if module.check_mode else bool(doc.get("changed")) or written
    for w in doc.get("warnings") or []:
        module.warn("cdnallow: %s" % w)
    result = dict(
        changed=changed,
        cmd=cmd,
        # not "rc": Ansible marks any result with a non-zero rc as failed (plan drift is 2)
        exit_code=rc,
        stderr=err,
        backend=doc.get("backend"),
        mode=doc.get("mode"),
        ipv4=doc.get("ipv4"),
        ipv6=doc.get("ipv6"),
        sources=doc.get("sources"),
        outputs=outputs,
        warnings_cdnallow=doc.get("warnings") or [],
    )
    if module._diff and changed:
        where = "%s (%s)" % (doc.get("backend"), doc.get("where") or "")
        result["diff"] = dict(
            before_header="%s: removed" % where,
            after_header="%s: added" % where,
            before=family_lines(doc, "remove"),
            after=family_lines(doc, "add"),
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
