# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for cdnallow(8): commands, options, backends, modes and
# providers (asked from `cdnallow providers`, static list as fallback).
# Installed as /usr/share/bash-completion/completions/cdnallow. Completion
# only: it never runs anything but `cdnallow providers`.

_cdnallow_providers()
{
	local p
	p=$(cdnallow providers 2>/dev/null | awk '/^[^ ]/ { print $1 }')
	[ -n "$p" ] || p="cloudflare fastly cloudfront google google-all gcore akamai azure-frontdoor bunny imperva cdn77 quic-cloud cloudflare-china arvancloud"
	echo "$p"
}

_cdnallow()
{
	local cur prev words cword
	_init_completion -n = || return

	local commands="sync plan diff status fetch export flush doctor providers history"
	local opts="-c --config -p --provider -s --source -b --backend --ports --mode -n --dry-run
		--offline --state-dir --json --list --force --metrics-file --domain --format --header -v --verbose -q --quiet
		-h --help --version"

	case $prev in
	-c | --config | --metrics-file)
		_filedir
		return
		;;
	-s | --source)
		_filedir
		return
		;;
	--state-dir)
		_filedir -d
		return
		;;
	-b | --backend)
		COMPREPLY=($(compgen -W "auto nftables iptables ufw firewalld" -- "$cur"))
		return
		;;
	--mode)
		COMPREPLY=($(compgen -W "allow lockdown sets" -- "$cur"))
		return
		;;
	--ports)
		COMPREPLY=($(compgen -W "80,443" -- "$cur"))
		return
		;;
	--domain | --header)
		return
		;;
	--format)
		COMPREPLY=($(compgen -W "nginx apache haproxy caddy fail2ban crowdsec text json" -- "$cur"))
		return
		;;
	-p | --provider)
		# comma list: complete the element after the last comma
		local done=${cur%"${cur##*,}"} last=${cur##*,}
		COMPREPLY=($(compgen -P "$done" -W "$(_cdnallow_providers)" -- "$last"))
		compopt -o nospace 2>/dev/null
		return
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	# one command word; options may come before or after it
	local i w
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $w in
		-c | --config | -p | --provider | -s | --source | -b | --backend | --ports | --mode | \
			--state-dir | --metrics-file | --domain)
			((i++))
			;;
		-*) ;;
		*)
			return
			;;
		esac
	done
	COMPREPLY=($(compgen -W "$commands" -- "$cur"))
}
complete -F _cdnallow cdnallow
