#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shell completions of contrib/completion: bash (with the bash-completion
# framework, driving _cdnallow as readline would) offers the commands, the
# options, the backends, the modes and the providers the built binary lists,
# including after a comma; zsh parses the file and compinit loads it. No root,
# no firewall; the binary is only asked `providers`.
set -uo pipefail
. "${TESTS_DIR:-$(dirname "$0")/..}/integration/lib/common.sh"
: "${CDNALLOW:?} ${TESTS_DIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
DIR=$(cd "$TESTS_DIR/../contrib/completion" && pwd)
BC=/usr/share/bash-completion/bash_completion
[ -r "$BC" ] || { echo "SKIP: needs bash-completion" >&2; exit 77; }
T=$(mktemp -d /tmp/cdna-ops-compl.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin"
ln -s "$CDNALLOW" "$T/bin/cdnallow"

# complete "WORDS..." : the candidates for the last word, sorted, one a line
complete_bash() {
	PATH="$T/bin:$PATH" bash --norc -c '
		. "$1"; . "$2"
		read -ra COMP_WORDS <<<"$3"
		[[ $3 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$3 COMP_POINT=${#3}
		_cdnallow cdnallow "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' compl "$BC" "$DIR/cdnallow.bash" "$1"
}

expect() { # "LINE" "WANT (space separated, sorted)"
	local got
	got=$(complete_bash "$1" | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$2" ] || fail "completing '$1': got '$got', want '$2'"
}

expect "cdnallow s" "status sync"
expect "cdnallow -q " "diff doctor export fetch flush history plan providers status sync"
expect "cdnallow export --format n" "nginx"
expect "cdnallow sync " ""
expect "cdnallow -b " "auto firewalld iptables nftables ufw"
expect "cdnallow --backend n" "nftables"
expect "cdnallow --mode " "allow lockdown sets"
expect "cdnallow -c /x.conf p" "plan providers"
expect "cdnallow --js" "--json"
providers=$("$CDNALLOW" providers | awk '/^[^ ]/ { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')
[ -n "$providers" ] || fail "cdnallow providers lists nothing"
expect "cdnallow -p " "$providers"
expect "cdnallow -p cloudflare,fa" "cloudflare,fastly"
ok "bash: commands, options, backends, modes, providers (from the binary, after a comma)"

# options in --help and in the completion are the same set
"$CDNALLOW" --help | grep -oE -- '--[a-z-]+' | sort -u >"$T/help"
grep -oE -- '--[a-z-]+' "$DIR/cdnallow.bash" | sort -u >"$T/bash"
grep -oE -- "--[a-z-]+" "$DIR/_cdnallow" | sort -u >"$T/zsh"
diff -u "$T/help" "$T/bash" || fail "bash completion options differ from --help"
diff -u "$T/help" "$T/zsh" || fail "zsh completion options differ from --help"
ok "every long option of --help is completed (bash and zsh)"

if command -v zsh >/dev/null; then
	zsh -n "$DIR/_cdnallow" || fail "zsh: syntax"
	PATH="$T/bin:$PATH" zsh -f -c '
		fpath=("$1" $fpath)
		autoload -U compinit && compinit -u -d "$2/zcompdump"
		[[ $_comps[cdnallow] == _cdnallow ]] || exit 3
		autoload -Uz +X _cdnallow || exit 4' zsh "$DIR" "$T" || fail "zsh: compinit does not register _cdnallow"
	ok "zsh: parses, compinit binds _cdnallow to cdnallow"
else
	echo "# zsh not installed: zsh completion not loaded"
fi

echo "PASS: $pass checks"
