#!/usr/bin/env node
// What a message between two processes costs on this machine: a byte sent
// back and forth 20,000 times over a loopback TCP connection between this
// process and a child, in µs a round trip (wall) and in CPU µs of this side.
// Run it as it is (the scheduler puts the two on different CPUs) and under
// `taskset -c 0` (both on one CPU): on a VM, waking a process on another,
// idle CPU costs an interrupt between virtual CPUs, which the guest pays
// for in the system call that sends.
//
//   node bench/support/wake-cost.mjs; taskset -c 0 node bench/support/wake-cost.mjs
import { fork } from 'node:child_process';
import { connect, createServer } from 'node:net';

const N = 20000;
if (process.argv[2] === 'echo') {
  const server = createServer((c) => c.on('data', (d) => c.write(d))).listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  const child = fork(new URL(import.meta.url).pathname, ['echo']);
  child.once('message', (port) => {
    const c = connect(port, '127.0.0.1', () => {
      let i = 0;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      c.on('data', () => {
        if (++i < N) return void c.write('x');
        const wall = Number(process.hrtime.bigint() - t0) / 1e3 / N;
        const cpu = process.cpuUsage(cpu0);
        console.log(`round trip ${wall.toFixed(1)} µs, this side's CPU ${((cpu.user + cpu.system) / N).toFixed(1)} µs (system ${(cpu.system / N).toFixed(1)})`);
        child.kill();
        process.exit(0);
      });
      c.write('x');
    });
  });
}
