#!/usr/bin/env python3
"""CPU time by process while a bench runs, for BENCHMARKS.md's "µs a request"
figures: every 2 s it reads utime+stime of every process from /proc/<pid>/stat
(no forks, so it costs next to nothing), and when OUT.stop appears it writes
pid, whether the process had OTEL_TRACES_EXPORTER in its environment (the
traced platform of bench:http, or a descendant of such a process: its
containers), CPU ticks used, minor page faults taken, read and write
system calls made (syscr and syscw of /proc/<pid>/io), and the command
line, for each process that used more than 10 ticks (0.1 s).

  python3 bench/support/cpu-by-process.py /tmp/cpu & 
  BENCH_TRACING=1 BENCH_RUNS=6 BENCH_SECONDS=8 npm run bench:http
  touch /tmp/cpu.stop; wait; cat /tmp/cpu

Divide a process's ticks (1/100 s) by the requests its platform served
(bench:http's "requests served" line, the warm-up included).
"""
import os
import sys
import time

seen={}
parent={}
def traced(pid):
    # A container's processes carry no OTEL_* variables of their own: they
    # count as traced when the invoker above them does.
    for _ in range(16):
        if pid in seen: return seen[pid][3]
        pid=parent.get(pid)
        if pid is None: return False
    return False
def scan():
    # Each stat read once; every parent known before a new process asks for its ancestors.
    stats={}
    for pid in os.listdir('/proc'):
        if not pid.isdigit(): continue
        try: stats[pid]=open(f'/proc/{pid}/stat').read().rsplit(')',1)[1].split()
        except Exception: continue
        parent[pid]=stats[pid][1]
    for pid in sorted(stats,key=int):
        f=stats[pid]
        ticks=sum(int(x) for x in f[11:13])
        faults=int(f[7])
        try:
            io=dict(l.split(': ') for l in open(f'/proc/{pid}/io').read().splitlines())
            calls=(int(io['syscr']),int(io['syscw']))
        except Exception: calls=(0,0)
        if pid not in seen:
            try:
                cmd=open(f'/proc/{pid}/cmdline','rb').read().replace(b'\0',b' ').decode()[:70]
                env=open(f'/proc/{pid}/environ','rb').read()
            except Exception: continue
            tr=b'OTEL_TRACES_EXPORTER' in env or traced(parent.get(pid))
            seen[pid]=[ticks,ticks,cmd,tr,faults,faults,calls,calls]
        seen[pid][1]=ticks
        seen[pid][5]=faults
        seen[pid][7]=calls
out=sys.argv[1]
try:
    while not os.path.exists(out+'.stop'):
        scan(); time.sleep(2)
finally:
    with open(out,'w') as f:
        for pid,(a,b,cmd,tr,fa,fb,ca,cb) in seen.items():
            if b-a>10: f.write(f'{pid}\t{int(tr)}\t{b-a}\t{fb-fa}\t{cb[0]-ca[0]}\t{cb[1]-ca[1]}\t{cmd}\n')
