#!/usr/bin/env bash
# scripts/test.sh — runs every test: formatting and clippy gates, glommio's own executor and
# channel tests on the patched copy in vendor/glommio, unit tests, the fuzz-corpus replay, and the
# integration tests against real MariaDB and MySQL topologies (which it starts
# with scripts/topology.sh). Set SLUICE_TEST_FLAVORS=mariadb (or mysql) to test one flavor only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# rustup installs into ~/.cargo/bin, which a non-login shell may not have on PATH.
if ! command -v cargo >/dev/null && [[ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

flavors=${SLUICE_TEST_FLAVORS:-mariadb,mysql}
export SLUICE_TEST_FLAVORS=$flavors

step() { printf '\n==> %s\n' "$*"; }

# Free disk where the build and the servers write, at the start and whatever way the run ends: the
# servers answer a full disk with errors (1114 "table is full") that look like test failures.
disk_report() {
    step "free disk ($1)"
    df -h . /var/lib 2>/dev/null | awk 'NR == 1 || !seen[$0]++'
}
disk_report "before"
trap 'disk_report "at exit"' EXIT

step "toolchain"
if ! command -v cargo >/dev/null; then
    echo "cargo is required (rustup stable)" >&2
    exit 1
fi
cargo --version
if ! cargo nextest --version >/dev/null 2>&1; then
    step "installing cargo-nextest"
    cargo install cargo-nextest --locked
fi

if ! command -v mariadb_config >/dev/null; then
    step "installing libmariadb-dev (the C client used by tests/protocol_corners.rs)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmariadb-dev >/dev/null
fi

for f in ${flavors//,/ }; do
    step "topology up --flavor $f"
    scripts/topology.sh up --flavor "$f"
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "glommio's own executor and channel tests, on the patched copy sluice builds with"
scripts/test-glommio.sh

step "cargo nextest run (unit + integration, flavors: $flavors)"
cargo nextest run --workspace --no-fail-fast
