#!/usr/bin/env bash
# Old beside new: runs ringmq's tcp perf tools from two release builds in one alternating
# series and prints the medians (throughput 64 B x 3 000 000, round trip 64 B x 20 000).
#
#   perf/scripts/compare-builds.sh OLD_RELEASE_DIR NEW_RELEASE_DIR [ROUNDS]
#
# Each directory holds local_thr, remote_thr, local_lat and remote_lat (for example
# `target/release` of a worktree of the older commit, built with
# `cargo build --release -p ringmq-perf --bin local_thr --bin remote_thr --bin local_lat --bin remote_lat`).
#
# With PIN=1 the receiving (or echoing) process runs on CPU 0 and the sending one on CPU 1
# (taskset): on this shared 2-core machine that takes most of the round-to-round noise out
# of the throughput (unpinned, the same build gives anything from 4 M to 7 M msg/s).
set -euo pipefail
old=${1:?old release dir}; new=${2:?new release dir}; rounds=${3:-10}
pin_recv=(); pin_send=()
if [ "${PIN:-0}" = 1 ]; then pin_recv=(taskset -c 0); pin_send=(taskset -c 1); fi
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for r in $(seq "$rounds"); do
    for side in old new; do
        dir=$old; [ "$side" = new ] && dir=$new
        port=$(free_port)
        "${pin_recv[@]}" "$dir/local_thr" "tcp://127.0.0.1:$port" 64 3000000 > "$out/thr" &
        receiver=$!; sleep 0.3
        timeout 120 "${pin_send[@]}" "$dir/remote_thr" "tcp://127.0.0.1:$port" 64 3000000 > /dev/null
        wait "$receiver"
        port=$(free_port)
        "${pin_recv[@]}" "$dir/local_lat" "tcp://127.0.0.1:$port" 64 20000 > /dev/null &
        echo_side=$!; sleep 0.3
        timeout 120 "${pin_send[@]}" "$dir/remote_lat" "tcp://127.0.0.1:$port" 64 20000 > "$out/lat"
        wait "$echo_side"
        echo "$side $(grep -m1 'mean throughput' "$out/thr" | awk '{print $3}') $(grep -m1 'round-trip p50' "$out/lat" | awk '{print $3}')" >> "$out/all"
        echo "round $r $side: $(tail -1 "$out/all")" >&2
    done
done
python3 - "$out/all" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for side in ("old", "new"):
    thr = [float(r[1]) for r in rows if r[0] == side]
    p50 = [float(r[2]) for r in rows if r[0] == side]
    print(f"{side}: throughput median {statistics.median(thr)/1e6:.2f} M msg/s, round-trip p50 median {statistics.median(p50):.1f} us")
PY
