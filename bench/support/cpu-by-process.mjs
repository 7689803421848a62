#!/usr/bin/env node
// CPU use by process group, every 2 s, from /proc/<pid>/stat (user + system
// time): what each part of the platform costs under load. Run it beside a
// bench, e.g.
//   node bench/support/cpu-by-process.mjs 45 & BENCH_RUNS=1 BENCH_SECONDS=30 npm run bench:http
// Groups: gateway, invoker, meter (tsfn.js processes), container-node (the
// runtime shim in containers), direct (bench/support/direct-hono.mjs),
// postgres; others by command name. 100% = one core.
// Argument: how many 2 s intervals to print (default 30).
import { readdirSync, readFileSync } from 'node:fs';

const HZ = 100; // USER_HZ: clock ticks per second in /proc/<pid>/stat
const INTERVAL_S = 2;

function group(comm, cmdline) {
  for (const g of ['gateway', 'invoker', 'meter']) if (cmdline.includes(`tsfn.js ${g}`)) return g;
  if (cmdline.includes('shim.cjs') || cmdline.includes('boot.cjs')) return 'container-node';
  if (cmdline.includes('direct-hono')) return 'direct';
  if (comm.startsWith('postgres') || cmdline.startsWith('postgres')) return 'postgres';
  return comm;
}

/** pid -> { group, ticks } for every process readable now. */
function snapshot() {
  const out = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      out.set(pid, { group: group(comm, cmdline), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

let before = snapshot();
let left = Number(process.argv[2] ?? 30);
const timer = setInterval(() => {
  const now = snapshot();
  const used = {};
  for (const [pid, p] of now) {
    const d = p.ticks - (before.get(pid)?.ticks ?? 0);
    if (d > 0) used[p.group] = (used[p.group] ?? 0) + d;
  }
  before = now;
  const top = Object.entries(used).sort((a, b) => b[1] - a[1]).slice(0, 9)
    .map(([g, t]) => `${g} ${((t / HZ / INTERVAL_S) * 100).toFixed(0)}%`).join('  ');
  console.log(`${new Date().toISOString().slice(11, 19)}  ${top}`);
  if (--left <= 0) clearInterval(timer);
}, INTERVAL_S * 1000);
