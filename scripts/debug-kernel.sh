#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the directory of the built 6.1 debug kernel (KASAN, UBSAN, lockdep,
# kmemleak, DMA-API debug, fault injection, CMA, vgem, vivid); build it
# first when it is not there yet (about 11 minutes on 2 cores).
#
#   scripts/debug-kernel.sh		print DIR, building it if needed
#   scripts/debug-kernel.sh --check	print DIR if built, else exit 1
#
# The lane kernel of scripts/lane-kernel.sh from ../shared/kernel/
# debug.config (or $SMAF_DEBUG_CONFIG), cached as
# /var/cache/smaf/debug-<source version>-<sha256 of fragment, 12>/; that
# script says what the directory holds.
SMAF_KERNEL_ME=debug-kernel.sh exec "$(dirname "$0")/lane-kernel.sh" debug "$@"
