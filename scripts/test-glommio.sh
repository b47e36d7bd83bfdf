#!/usr/bin/env bash
# scripts/test-glommio.sh — runs glommio's own executor and channel unit tests against the
# patched copy in vendor/glommio (SLUICE-PATCHES.md), so a change to its reactor's sleep/wake path
# that loses a wake-up fails CI instead of hanging sluice. The crate is copied out of the
# workspace first: cargo would otherwise take it for a workspace member (it is a path patch).
# glommio's file-I/O tests are not run: they need an NVMe-backed XFS/ext4 directory.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r vendor/glommio "$work/glommio"
cd "$work/glommio"
export CARGO_TARGET_DIR="$root/target/glommio-tests"
# Line tables only, as the workspace builds: full debug info would take a gigabyte of disk.
export CARGO_PROFILE_DEV_DEBUG=line-tables-only
cargo test --lib --locked --no-run -q
# Each run takes about 20 s here; a lost wake-up shows as a test that never finishes.
timeout 300 cargo test --lib --locked -q -- --test-threads=2 executor:: channels::
