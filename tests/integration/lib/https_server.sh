# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the fetch test and benchmark: starts https_server.py on loopback
# with fresh test certificates in a temp dir, and stops it and removes the
# dir on exit. Sets T (the dir: ca.pem, port files, requests.log), PY, SRV_PID
# and U (base https URL). It never starts anything listening beyond 127.0.0.1.

# the distribution's python3 when there is one: version-manager shims cost seconds a call
PY=$(command -v /usr/bin/python3 || command -v python3)
SRV_PID=

https_server_stop() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
	fi
	rm -rf "$T"
}

# https_server_start FIXTURES_DIR: 0 when the server listens, else 1 with its output shown
https_server_start() {
	T=$(mktemp -d /tmp/cdna-fetch-XXXXXX) || return 1
	trap https_server_stop EXIT
	"$PY" "$(dirname "${BASH_SOURCE[0]}")/https_server.py" --make-certs --fixtures "$1" \
		--dir "$T" >"$T/server.out" 2>&1 &
	SRV_PID=$!
	for _ in $(seq 150); do
		[ -s "$T/port" ] && break
		sleep 0.1
	done
	if [ ! -s "$T/port" ]; then
		cat "$T/server.out"
		return 1
	fi
	U="https://127.0.0.1:$(cat "$T/port")"
	# the server is local: no proxy may get in the way
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
}
