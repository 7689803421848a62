#!/usr/bin/env python3
"""CPU time a request by component and by function, counted only while wrk
loads the component's own platform, from a system-wide `perf record` of a
bench:http run (bench/support/perf-http.sh records one and calls this).

Where cpu-by-process.py divides a process's whole CPU time by the requests
its platform served, this takes the perf samples that fall inside the
platform's timed loads (start-up, JIT warm-up and the other platform's
loads left out) and divides by the requests of those loads (each round's
req/s times the load's length). With the processes run under
--perf-basic-prof, JavaScript functions have names, so it also gives the
time a request spent in tsfn's tracing code: samples whose innermost
JavaScript frame is a function of core/telemetry/, gateway/middleware/
tracing.ts, invoker/telemetry-spans.ts (found by the module comments of the
bundle) or an @opentelemetry package, with the builtins and runtime calls
under it. Metrics (@opentelemetry/sdk-metrics) are listed apart: both
platforms keep them.

  python3 bench/support/perf-by-window.py CPU LOG SCRIPT BUNDLE [TOP]

CPU is cpu-by-process.py's output (for the pids), LOG bench:http's output,
SCRIPT `perf script -F pid,time,ip,sym` of the recording, BUNDLE
dist/tsfn.js. A sample is 1/FREQ s (FREQ from PERF_FREQ, default 499).
With BENCH_AB_ROOT set (as bench:http takes it), "untraced" is that
build's platform, traced too, and containers are left out.
Caveat: V8 reuses the addresses of code it frees, and perf names a sample
by one of the functions mapped there over the run: in one run some 70 µs a
request of an invoker's socket writes came out as an sdk-metrics function.
Read a function's figure beside its callers (perf script) before trusting it.
"""
import collections
import os
import re
import sys

cpu_file, log_file, script_file, bundle = sys.argv[1:5]
top = int(sys.argv[5]) if len(sys.argv) > 5 else 15
us_per_sample = 1e6 / float(os.environ.get('PERF_FREQ', 499))

procs = [line.rstrip('\n').split('\t') for line in open(cpu_file) if line.strip()]
log = open(log_file).read()
rps = {k: [float(x) for x in v.split()] for k, v in
       (part.strip().split(' ', 1) for part in re.search(r'req/s by round: (.*)', log).group(1).split(';'))}

# The platforms by port: the warm-up loads (-d10s) go untraced first, then traced.
loads = []
for row in sorted(procs, key=lambda r: int(r[0])):
    m = re.search(r'wrk .*-d(\d+)s .*:(\d+)/', row[-1])
    if m: loads.append((row[0], int(m.group(1)), m.group(2)))
warm = [port for _, d, port in loads if d == 10]
platform_of_port = {warm[0]: 'untraced', warm[1]: 'traced'}

# A/B runs (bench:http with BENCH_AB_ROOT) trace both platforms: tell them by the build's path.
ab_root = os.environ.get('BENCH_AB_ROOT')
def platform_of(row):
    if ab_root and row[-1].find(ab_root) >= 0: return 'untraced'
    if ab_root: return 'traced'
    return 'traced' if row[1] == '1' else 'untraced'
component = {}
for row in procs:
    cmd = row[-1]
    for name in ('gateway', 'invoker', 'meter'):
        if re.search(rf'tsfn\.js {name}\b', cmd): component[row[0]] = (name, platform_of(row))
    # Containers carry no build path, nor in an A/B run a platform: left out there.
    if '--fds-closed' in cmd and not ab_root: component[row[0]] = ('containers', 'untraced' if row[1] == '0' else 'traced')
    if 'otlp-sink' in cmd: component[row[0]] = ('collector', 'traced')
redis = [row[0] for row in procs if 'redis-server' in row[-1]]

# Tracing code: the bundle's modules, by line range.
telemetry = re.compile(r'^// (core/telemetry/\S+|gateway/middleware/tracing\.ts|invoker/telemetry-spans\.ts)$')
def telemetry_lines(path):
    starts = [(i + 1, bool(telemetry.match(line))) for i, line in enumerate(open(path)) if re.match(r'^// [a-z]\S*\.ts$', line)]
    return [(a, starts[k + 1][0] if k + 1 < len(starts) else 10**9) for k, (a, yes) in enumerate(starts) if yes]
# In an A/B run each build's frames are read against its own bundle.
ranges = {os.path.abspath(bundle): telemetry_lines(bundle)}
if ab_root: ranges[os.path.abspath(os.path.join(ab_root, 'dist', 'tsfn.js'))] = telemetry_lines(os.path.join(ab_root, 'dist', 'tsfn.js'))
def tracing_frame(frame):
    if '@opentelemetry/sdk-metrics' in frame: return 'metrics'
    if '@opentelemetry' in frame: return 'tracing'
    m = re.search(r'file://(\S*/dist/tsfn\.js):(\d+):', frame)
    lines = ranges.get(m.group(1)) if m else None
    return 'tracing' if lines and any(a <= int(m.group(2)) < b for a, b in lines) else None

# Sample times of each wrk: the loads' windows.
samples = []
times = {}
pid = None
frames = []
def flush():
    if pid is not None: samples.append((pid, t, frames))
for line in open(script_file):
    if not line.strip():
        flush(); pid = None; frames = []
        continue
    if not line.startswith('\t'):
        head = line.split(); pid = head[0]; t = float(head[1].rstrip(':')); frames = []
        span = times.setdefault(pid, [t, t]); span[1] = t
        continue
    frames.append(line.strip())
flush()
windows = []
count = collections.Counter()
for wrk_pid, d, port in loads:
    name = platform_of_port.get(port)
    if d == 10 or name is None or wrk_pid not in times: continue
    start, end = times[wrk_pid]
    windows.append((start, end, name, rps[name][count[name]] * (end - start)))
    count[name] += 1
requests = collections.Counter()
for _, _, name, n in windows: requests[name] += n

def window_of(t):
    for start, end, name, _ in windows:
        if start <= t <= end: return name
    return None
by_component = collections.Counter()
tracing = collections.Counter()
functions = collections.Counter()
for spid, t, frs in samples:
    name = window_of(t)
    if name is None: continue
    comp = component.get(spid)
    if spid in redis: comp = ('redis', name)
    if comp is None or comp[1] != name: continue
    by_component[comp] += 1
    if comp[0] in ('gateway', 'invoker'):
        js = next((f for f in frs if ' JS:' in f), None)
        kind = tracing_frame(js) if js else None
        if kind:
            tracing[(comp, kind)] += 1
            if kind == 'tracing': functions[(comp, re.sub(r'^\S+ JS:\S?', '', js)[:80])] += 1

per = lambda n, name: n * us_per_sample / requests[name] if requests[name] else 0
print(f'requests in the timed loads: untraced {requests["untraced"]:.0f}, traced {requests["traced"]:.0f}; µs of CPU a request:')
print(f'{"":24}{"untraced":>10}{"traced":>10}{"delta":>9}')
for comp in ('gateway', 'invoker', 'containers', 'meter', 'redis', 'collector'):
    u, tr = per(by_component[(comp, 'untraced')], 'untraced'), per(by_component[(comp, 'traced')], 'traced')
    print(f'{comp:24}{u:10.1f}{tr:10.1f}{tr - u:+9.1f}')
    if comp in ('gateway', 'invoker'):
        for kind in ('tracing', 'metrics'):
            u, tr = per(tracing[((comp, 'untraced'), kind)], 'untraced'), per(tracing[((comp, 'traced'), kind)], 'traced')
            print(f'  {kind + " code":22}{u:10.1f}{tr:10.1f}{tr - u:+9.1f}')
total = {name: sum(per(n, name) for (c, p), n in by_component.items() if p == name) for name in ('untraced', 'traced')}
print(f'{"all of the above":24}{total["untraced"]:10.1f}{total["traced"]:10.1f}{total["traced"] - total["untraced"]:+9.1f}')
for comp in ('gateway', 'invoker'):
    print(f'\n{comp}: tracing code by function (µs a request, untraced / traced)')
    rows = sorted({f for (c, f) in functions if c[0] == comp}, key=lambda f: -functions[((comp, 'traced'), f)])
    for f in rows[:top]:
        print(f'  {per(functions[((comp, "untraced"), f)], "untraced"):6.1f} {per(functions[((comp, "traced"), f)], "traced"):6.1f}  {f}')
