#!/bin/bash
# bench:http under a system-wide `perf record` (cpu-clock, 499 Hz, call
# graphs; no hardware counters needed) with the platforms' processes run
# under --perf-basic-prof, then CPU time a request by component and the
# tracing code's share (bench/support/perf-by-window.py).
#
#   bash bench/support/perf-http.sh OUT [ROUNDS]      (OUT: a directory of its own)
#
# BENCH_* variables pass through (BENCH_SECONDS, BENCH_AB_ROOT...); tracing is on.
# Needs perf (Debian: linux-perf). Leaves OUT/perf.data, OUT/script.txt,
# OUT/cpu, OUT/bench.log and /tmp/perf-<pid>.map files (removed at the start
# of the next run).
set -euo pipefail
out=$1
rounds=${2:-4}
here=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
rm -f "$out/cpu" "$out/cpu.stop" /tmp/perf-*.map
python3 "$here/bench/support/cpu-by-process.py" "$out/cpu" &
sampler=$!
perf record -e cpu-clock -F 499 -a -g -o "$out/perf.data" > "$out/perf.log" 2>&1 &
recorder=$!
status=0
(cd "$here" && BENCH_NODE_ARGS="${BENCH_NODE_ARGS:-} --perf-basic-prof" BENCH_TRACING=1 BENCH_RUNS=$rounds npm run bench:http) > "$out/bench.log" 2>&1 || status=$?
kill -INT "$recorder"; wait "$recorder" || true
touch "$out/cpu.stop"; wait "$sampler" || true
tail -n 12 "$out/bench.log"
[ "$status" = 0 ] || { echo "bench:http failed ($status): $out/bench.log"; exit "$status"; }
perf script -i "$out/perf.data" -F pid,time,ip,sym > "$out/script.txt" 2>/dev/null
python3 "$here/bench/support/perf-by-window.py" "$out/cpu" "$out/bench.log" "$out/script.txt" "$here/dist/tsfn.js"
