#!/usr/bin/env bash
# bench/tools/lean_relay/run.sh PLACEMENT [TAG] — builds lean_relay, starts it in three variants
# (epoll on 3385, uring on 3386, uring-batch on 3387, all -> the MariaDB primary on 3307) with
# PLACEMENT = cpu0 | cpu1 | unpinned, and runs bench/sysbench.sh with them as peers.
# The table is copied to target/lean_relay/results-PLACEMENT[-TAG].md. point-select.sh overwrites
# bench/results/point-select-mariadb.md; restore it with git checkout afterwards.
# BENCH_ROOT=DIR runs DIR/bench/sysbench.sh instead (e.g. an unmodified `git archive HEAD`
# copy, when the working tree's sluice does not build because someone is mid-edit).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
placement=$1 tag=${2:+-$2}
case $placement in
cpu0) pin=(--cpu 0) ;; cpu1) pin=(--cpu 1) ;; unpinned) pin=() ;;
*) echo "placement: cpu0 | cpu1 | unpinned" >&2; exit 2 ;;
esac
out=$PWD/target/lean_relay
cargo build --release --target-dir "$out" --manifest-path bench/tools/lean_relay/Cargo.toml >/dev/null 2>&1
bin=$out/release/lean_relay
root=${BENCH_ROOT:-$PWD}
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
peers=()
for v in epoll:3385 uring:3386 uring-batch:3387; do
    mode=${v%%:*} port=${v##*:}
    "$bin" "127.0.0.1:$port" 127.0.0.1:3307 --mode "$mode" "${pin[@]}" 2>>"$out/relay.log" &
    pids+=($!)
    peers+=(--peer "lean_${mode//-/_}=127.0.0.1:$port:$!")
done
sleep 0.5
echo "+ (cd $root) bench/sysbench.sh --flavor mariadb --time 8 --rounds 3 --threads \"1 8\" ${peers[*]}   # lean_relay $placement" >&2
"$root/bench/sysbench.sh" --flavor mariadb --time 8 --rounds 3 --threads "1 8" "${peers[@]}"
cp "$root/bench/results/point-select-mariadb.md" "$out/results-$placement$tag.md"
