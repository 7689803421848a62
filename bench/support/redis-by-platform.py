#!/usr/bin/env python3
"""Redis's CPU time by the platform under load, beside bench:http with
BENCH_TRACING=1: both platforms share one Redis, so cpu-by-process.py cannot
tell which of them a Redis tick served. Every 0.5 s this reads Redis's
utime+stime and charges the ticks to the platform whose port the running wrk
is driving (the gateways' TSFN_PORT, traced when OTEL_TRACES_EXPORTER is in
their environment); ticks while no platform is driven go to "other".

  python3 bench/support/redis-by-platform.py /tmp/redis &
  BENCH_TRACING=1 BENCH_RUNS=20 BENCH_SECONDS=8 npm run bench:http
  touch /tmp/redis.stop; wait; cat /tmp/redis

Divide each figure (1/100 s) by the requests that platform served
(bench:http's "requests served" line).
"""
import os
import re
import sys
import time

def procs():
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try: yield pid, open(f'/proc/{pid}/cmdline','rb').read()
            except Exception: pass

def ticks(pid):
    f=open(f'/proc/{pid}/stat').read().rsplit(')',1)[1].split()
    return int(f[11])+int(f[12])

out=sys.argv[1]
redis=next((pid for pid,cmd in procs() if cmd.startswith(b'redis-server')),None)
if redis is None: sys.exit('no redis-server running')
ports={}
seen=set()
charged={'untraced':0,'traced':0,'other':0}
last=ticks(redis)
while not os.path.exists(out+'.stop'):
    time.sleep(0.5)
    target=None
    for pid,cmd in procs():
        if b'tsfn.js\0gateway' in cmd and pid not in seen:
            seen.add(pid)
            try:
                env=dict(e.split(b'=',1) for e in open(f'/proc/{pid}/environ','rb').read().split(b'\0') if b'=' in e)
                ports[env[b'TSFN_PORT'].decode()]=('traced' if b'OTEL_TRACES_EXPORTER' in env else 'untraced')
            except Exception: pass
        elif cmd.startswith(b'wrk'):
            m=re.search(rb':(\d+)/',cmd)
            if m: target=m.group(1).decode()
    now=ticks(redis)
    charged[ports.get(target,'other')]+=now-last
    last=now
with open(out,'w') as f:
    f.write(' '.join(f'{k} {v}' for k,v in charged.items())+'\n')
