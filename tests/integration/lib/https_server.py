#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Loopback HTTPS server for the fetch integration tests and benchmark: serves
the real fixtures and every failure mode a provider endpoint has shown (5xx,
404, slow drip, hang, truncated body, oversized body, garbage, poisoned and
shrunk lists, redirects to plain http), plus extra listeners whose
certificate is for the wrong name or from an untrusted CA, and one plain
http listener. With --make-certs it first creates, with openssl, a test CA
(ca.pem, the file to trust), the server certificate for IP 127.0.0.1, a
wrong-name one and one from another CA, all in --dir. It binds 127.0.0.1
only, on ports the kernel picks (written to --dir/port*), and must never
serve anything but the fixtures directory. Every request is logged (one
JSON line in --dir/requests.log) so the tests can count attempts and check
the conditional headers.
"""
import argparse
import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FIXTURES = ""
LOG = None
LOG_LOCK = threading.Lock()
COUNTS = {}
HTTP_PORT = 0


def fixture(name):
    if "/" in name or name.startswith("."):
        raise FileNotFoundError(name)
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cdnallow-test"

    def log_message(self, fmt, *args):
        pass

    def log(self, status):
        rec = {
            "path": self.path,
            "status": status,
            "ua": self.headers.get("User-Agent"),
            "inm": self.headers.get("If-None-Match"),
            "ims": self.headers.get("If-Modified-Since"),
            "port": self.server.server_address[1],
        }
        with LOG_LOCK:
            LOG.write(json.dumps(rec) + "\n")
            LOG.flush()

    def send(self, status, body=b"", headers=None, length=None):
        self.log(status)
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):
        try:
            self.route()
        except FileNotFoundError:
            self.send(404, b"not found\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def route(self):
        parts = self.path.split("/")[1:]
        kind, arg = parts[0], "/".join(parts[1:])
        if kind == "ok":
            self.send(200, fixture(arg), {"Content-Type": "text/plain"})
        elif kind == "etag":
            body = fixture(arg)
            tag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            lm = formatdate(1700000000, usegmt=True)
            if self.headers.get("If-None-Match") == tag:
                self.send(304, b"", {"ETag": tag, "Last-Modified": lm}, length=0)
            else:
                self.send(200, body, {"ETag": tag, "Last-Modified": lm})
        elif kind == "500":
            self.send(500, fixture("cloudflare-ips-v4-error-500.html"))
        elif kind == "404":
            self.send(404, b"<html>not here</html>\n")
        elif kind == "403":
            self.send(403, b"<html>forbidden</html>\n")
        elif kind == "flaky":
            # /flaky/N/<fixture>: 503 for the first N requests of this path
            n, name = parts[1], parts[2]
            with LOG_LOCK:
                COUNTS[self.path] = COUNTS.get(self.path, 0) + 1
                seen = COUNTS[self.path]
            if seen <= int(n):
                self.send(503, b"busy\n", {"Retry-After": "1"})
            else:
                self.send(200, fixture(name))
        elif kind == "slow":
            body = fixture(arg)
            self.log(200)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for i in range(len(body)):
                self.wfile.write(body[i:i + 1])
                self.wfile.flush()
                time.sleep(0.5)
        elif kind == "hang":
            self.log(0)
            time.sleep(60)
        elif kind == "truncated":
            body = fixture(arg)
            self.log(200)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif kind == "huge":
            # 17 MiB announced up front
            size = 17 << 20
            self.log(200)
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            chunk = b"198.51.100.0/24\n" * 4096
            sent = 0
            while sent < size:
                self.wfile.write(chunk[: size - sent])
                sent += len(chunk)
        elif kind == "huge-stream":
            # no Content-Length: only the running count can stop it
            self.log(200)
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"198.51.100.0/24\n" * 4096
            for _ in range((17 << 20) // len(chunk) + 1):
                self.wfile.write(chunk)
            self.close_connection = True
        elif kind == "garbage":
            self.send(200, bytes(range(256)) * 8 + b"\n<html>oops</html>\n")
        elif kind == "empty":
            self.send(200, b"")
        elif kind == "poison":
            self.send(200, b"0.0.0.0/0\n" + fixture(arg))
        elif kind == "private":
            self.send(200, fixture(arg) + b"\n10.0.0.0/8\n")
        elif kind == "shrunk":
            lines = fixture(arg).splitlines()
            self.send(200, b"\n".join(lines[: len(lines) // 2]) + b"\n")
        elif kind == "redirect":
            self.send(302, b"", {"Location": "/ok/" + arg})
        elif kind == "redirect-http":
            loc = "http://127.0.0.1:%d/ok/%s" % (HTTP_PORT, arg)
            self.send(302, b"", {"Location": loc})
        elif kind == "redirect-loop":
            self.send(302, b"", {"Location": self.path})
        else:
            self.send(404, b"unknown test path\n")


def openssl(*args):
    subprocess.run(("openssl",) + args, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_certs(d):
    def ca(name):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-days", "2", "-subj", "/CN=cdnallow test " + name,
                "-keyout", os.path.join(d, name + ".key"), "-out", os.path.join(d, name + ".pem"),
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def leaf(name, san, issuer):
        base = os.path.join(d, name)
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-subj", "/CN=" + name, "-keyout", base + ".key", "-out", base + ".csr")
        with open(base + ".ext", "w") as f:
            f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n" % san)
        openssl("x509", "-req", "-in", base + ".csr", "-CA", os.path.join(d, issuer + ".pem"),
                "-CAkey", os.path.join(d, issuer + ".key"), "-CAcreateserial", "-days", "2",
                "-out", base + ".pem", "-extfile", base + ".ext")

    ca("ca")
    ca("otherca")
    leaf("server", "IP:127.0.0.1", "ca")
    leaf("wrongname", "DNS:wrong.example", "ca")
    leaf("untrusted", "IP:127.0.0.1", "otherca")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def start(cert, key, port_file, tls=True):
    srv = Server(("127.0.0.1", 0), Handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        # handshake in the handler thread, so one stuck client blocks no one
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                     do_handshake_on_connect=False)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, port_file)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def main():
    global FIXTURES, LOG, HTTP_PORT
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--dir", required=True, help="certs, port files and the request log")
    ap.add_argument("--make-certs", action="store_true", help="create the certificates first")
    a = ap.parse_args()
    if a.make_certs:
        make_certs(a.dir)
    FIXTURES = a.fixtures
    LOG = open(os.path.join(a.dir, "requests.log"), "a")
    d = a.dir
    http = start(None, None, os.path.join(d, "port-http"), tls=False)
    HTTP_PORT = http.server_address[1]
    start(os.path.join(d, "wrongname.pem"), os.path.join(d, "wrongname.key"),
          os.path.join(d, "port-wrongname"))
    start(os.path.join(d, "untrusted.pem"), os.path.join(d, "untrusted.key"),
          os.path.join(d, "port-untrusted"))
    start(os.path.join(d, "server.pem"), os.path.join(d, "server.key"),
          os.path.join(d, "port"))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
