#!/usr/bin/env bash
# What observing costs: tcp 64 B throughput (5 000 000 messages) or round trip (20 000),
# alternating three ways of running the same release tools: nothing, a monitor of every
# event on both sides (RINGMQ_MONITOR=1), a tracing subscriber at info level on both sides
# (RINGMQ_TRACING=info). Receiver (or echo side) on CPU 0, sender on CPU 1; prints medians.
#
#   perf/scripts/observability-cost.sh thr|lat [ROUNDS] [RELEASE_DIR]
#
# RELEASE_DIR (default target/release) holds local_thr, remote_thr, local_lat, remote_lat.
set -euo pipefail
kind=${1:?thr or lat}; rounds=${2:-5}; bin=${3:-target/release}
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for _ in $(seq "$rounds"); do
    for mode in none monitor tracing; do
        ep="tcp://127.0.0.1:$(free_port)"
        case $mode in
            none) envs=(RINGMQ_OBSERVE=none) ;;
            monitor) envs=(RINGMQ_MONITOR=1) ;;
            tracing) envs=(RINGMQ_TRACING=info) ;;
        esac
        if [ "$kind" = thr ]; then
            env "${envs[@]}" taskset -c 0 "$bin/local_thr" "$ep" 64 5000000 >"$out/run" 2>/dev/null &
            receiver=$!
            sleep 0.3
            env "${envs[@]}" taskset -c 1 "$bin/remote_thr" "$ep" 64 5000000 >/dev/null 2>&1
            wait "$receiver"
            echo "$mode $(awk '/mean throughput/ {print $3; exit}' "$out/run")"
        else
            env "${envs[@]}" taskset -c 0 "$bin/local_lat" "$ep" 64 20000 >/dev/null 2>&1 &
            echo_side=$!
            sleep 0.3
            env "${envs[@]}" taskset -c 1 "$bin/remote_lat" "$ep" 64 20000 >"$out/run" 2>/dev/null
            wait "$echo_side"
            echo "$mode $(awk '/p50/ {print $3; exit}' "$out/run")"
        fi
    done
done | python3 -c '
import statistics, sys
rows = [line.split() for line in sys.stdin if len(line.split()) == 2]
for mode in ("none", "monitor", "tracing"):
    values = [float(v) for m, v in rows if m == mode]
    print(f"{mode:8} median {statistics.median(values):.1f}  all {values}")
'
