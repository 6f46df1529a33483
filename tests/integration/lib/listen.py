#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The test web server of lib/netns.sh: python's http.server on [::]:PORT (IPv4
too), with a listen backlog of 4096 instead of socketserver's 5. The kernel
answers a SYN whether or not the server gets the CPU, but only while the
accept queue has room: with 5 slots, a server starved for a tenth of a second
under a prober's 50 connections a second drops SYNs, and the client sees a
timeout that looks exactly like a firewall drop. It serves / read-only.

usage: listen.py PORT
"""
import functools
import http.server
import socket
import sys


class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    request_queue_size = 4096
    daemon_threads = True

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def main():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory="/")
    Server(("::", int(sys.argv[1])), handler).serve_forever()


if __name__ == "__main__":
    sys.exit(main())
