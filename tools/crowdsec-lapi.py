#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for CrowdSec's local API, enough for crowdsec-firewall-bouncer:
GET /v1/decisions/stream answers once with a ban of each address given on the
command line (as `cscli decisions add --ip ADDR` would make), then with
nothing new. Used by tools/doctor-corpus.sh so the real bouncer writes its
real ruleset without a CrowdSec engine. Usage: crowdsec-lapi.py PORT ADDR..."""
import http.server
import json
import sys

PORT = int(sys.argv[1])
BANS = [{"duration": "4h", "id": i + 1, "origin": "cscli", "scenario": "manual 'ban' from 'corpus'",
         "scope": "Ip", "type": "ban", "value": a} for i, a in enumerate(sys.argv[2:])]


class Lapi(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if not self.path.startswith("/v1/decisions"):
            self.send_error(404)
            return
        startup = "startup=true" in self.path
        body = json.dumps({"new": BANS if startup else None, "deleted": None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Lapi).serve_forever()
