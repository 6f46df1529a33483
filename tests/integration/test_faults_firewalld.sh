#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The fault matrix of issue 10 for the firewalld backend (tests/faults/run): every
# fault family in network namespaces, with the cdn host connecting in a loop
# and an outsider probing; one ctest per backend so they fail separately.
# Skips (77) when firewalld's tools are missing; never touches the host's firewall.
exec bash "$TESTS_DIR/faults/run" firewalld
