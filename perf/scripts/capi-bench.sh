#!/usr/bin/env bash
# ringmq's C ABI against libzmq, side by side in one run (docs/capi.md has the numbers):
#  1. the C perf twins (capi/c/perf: local_thr/remote_thr, local_lat/remote_lat) built once
#     against the system's libzmq (Debian's 4.3.4) and once against ringmq's libzmq.so;
#  2. pyzmq 27.3.0 on its bundled libzmq 4.3.5 (its wheel, in a venv of its own) and on
#     ringmq (the venv scripts/pyzmq-suite builds), with perf/scripts/pyzmq_bench.py.
# tcp loopback, 64-octet messages; each pair of runs alternates, `ROUNDS` times (default 3),
# and the median is reported with ringmq's ratio to libzmq.
set -euo pipefail
cd "$(dirname "$0")/../.."
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
rounds="${ROUNDS:-3}"
thr_count="${THR_COUNT:-2000000}"
lat_count="${LAT_COUNT:-20000}"
prefix="$(scripts/capi-prefix)"
out="$target_dir/capi-bench"
mkdir -p "$out"
venv_python="$target_dir/pyzmq-suite/venv/bin/python"
if [ ! -x "$venv_python" ]; then
    echo "pyzmq on ringmq is not built yet: run scripts/pyzmq-suite once" >&2
    exit 1
fi
bundled_venv="$out/pyzmq-bundled"
if [ ! -x "$bundled_venv/bin/python" ]; then
    python3 -m venv "$bundled_venv"
    "$bundled_venv/bin/pip" install --quiet --only-binary :all: pyzmq==27.3.0
fi
bundled_python="$bundled_venv/bin/python"

cflags=(-std=c11 -D_DEFAULT_SOURCE -O2)
for tool in local_thr remote_thr local_lat remote_lat; do
    cc "${cflags[@]}" -I"$prefix/include" "capi/c/perf/$tool.c" -L"$prefix/lib" -lzmq \
        -Wl,-rpath,"$prefix/lib" -o "$out/$tool-ringmq"
    cc "${cflags[@]}" "capi/c/perf/$tool.c" -lzmq -o "$out/$tool-libzmq"
done

# Runs one twin pair; prints msg/s (thr) or us (lat).
run_twin() {
    local kind="$1" lib="$2" count="$3" log="$out/$1-$2.out"
    "$out/local_$kind-$lib" tcp://127.0.0.1:* 64 "$count" > "$log" &
    local pid=$!
    for _ in $(seq 200); do grep -q '^endpoint' "$log" 2>/dev/null && break; sleep 0.05; done
    local remote_out
    remote_out="$("$out/remote_$kind-$lib" "$(sed -n 's/^endpoint //p' "$log")" 64 "$count")"
    wait "$pid"
    if [ "$kind" = thr ]; then
        sed -n 's/^mean throughput: \([0-9]*\) \[msg\/s\]/\1/p' "$log"
    else
        echo "$remote_out" | sed -n 's/^average latency: \([0-9.]*\) \[us\]/\1/p'
    fi
}

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

declare -A results
for _ in $(seq "$rounds"); do
    for lib in libzmq ringmq; do
        results[c-thr-$lib]+="$(run_twin thr "$lib" "$thr_count") "
        results[c-lat-$lib]+="$(run_twin lat "$lib" "$lat_count") "
    done
    results[py-thr-libzmq]+="$("$bundled_python" perf/scripts/pyzmq_bench.py thr | cut -d' ' -f2) "
    results[py-thr-ringmq]+="$("$venv_python" perf/scripts/pyzmq_bench.py thr | cut -d' ' -f2) "
    results[py-lat-libzmq]+="$("$bundled_python" perf/scripts/pyzmq_bench.py lat | cut -d' ' -f2) "
    results[py-lat-ringmq]+="$("$venv_python" perf/scripts/pyzmq_bench.py lat | cut -d' ' -f2) "
done

printf '%-34s %14s %14s %8s\n' "tcp loopback, 64 B, median of $rounds" libzmq ringmq ratio
for row in "c-thr:C twins, throughput [msg/s]:higher" "c-lat:C twins, latency one way [us]:lower" \
           "py-thr:pyzmq, throughput [msg/s]:higher" "py-lat:pyzmq, latency one way [us]:lower"; do
    IFS=: read -r key label better <<< "$row"
    a="$(tr ' ' '\n' <<< "${results[$key-libzmq]}" | grep . | median)"
    b="$(tr ' ' '\n' <<< "${results[$key-ringmq]}" | grep . | median)"
    if [ "$better" = higher ]; then ratio="$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2fx", b / a}')"
    else ratio="$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2fx", a / b}')"; fi
    printf '%-34s %14s %14s %8s\n' "$label" "$a" "$b" "$ratio"
done
echo "(ratio: how many times better ringmq is; libzmq = Debian's 4.3.4 for C, pyzmq's bundled 4.3.5 for Python)"
