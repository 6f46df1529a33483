# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fault family "reload": the firewall changes under cdnallow's feet while it
# syncs — another process adding and deleting nftables tables or iptables
# rules, `ufw reload`, `firewall-cmd --reload` (backends.sh fb_disturb). Syncs
# alternate between two good lists meanwhile. Each sync either succeeds or
# fails with exit 1 and a message; after each, the firewall holds exactly one
# of the two lists; once the disturbance stops, one sync converges. ufw's and
# firewalld's own reloads refuse connections with or without cdnallow (the
# "disturbance-alone" case shows it): failures inside those windows are
# reported, not counted; every other failure is.

family_reload() {
	local i l pid
	flt_list "$T/relA.txt" 0 40
	flt_list "$T/relB.txt" 1 40
	FLT_SHRINK=100 flt_conf "$T/rel.conf" "path = $T/rel.txt"
	rm -f "$T/stop-disturb"
	fb_disturb "$T/stop-disturb" >/dev/null 2>&1 &
	pid=$!
	# the control: the disturbance alone, no cdnallow running
	case_begin "disturbance-alone"
	sleep 3
	expect_fw "$LAST_GOOD"
	case_end
	for i in 1 2 3 4 5 6; do
		if [ $((i % 2)) = 1 ]; then l=$T/relA.txt; else l=$T/relB.txt; fi
		case_begin "sync-$i-while-disturbed"
		cp "$l" "$T/rel.txt"
		flt_sync "$T/rel.conf"
		if [ "$RC" != "$EXIT_OK" ]; then
			expect_rc "$EXIT_ERROR"
			grep -q "error" "$T/err" || bad "exit $RC without an error message"
			echo "     (sync $i: exit $RC: $(head -1 "$T/err"))"
			expect_fw "$T/relA.txt" "$T/relB.txt" "$LAST_GOOD"
		else
			expect_fw "$l"
		fi
		case_end
	done
	touch "$T/stop-disturb"
	wait "$pid"
	case_begin converge-after-disturbance
	cp "$T/relA.txt" "$T/rel.txt"
	flt_sync "$T/rel.conf"
	expect_rc "$EXIT_OK"
	expect_fw "$T/relA.txt"
	case_end
	flt_good "$T/good.txt"
}
