import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { once } from 'node:events';

/**
 * A fresh network namespace (loopback up) as an open fd of this process, the
 * way the launcher's spawn server keeps spares for `run --netns-fd`
 * (native/src/spawn-server.c). `tsfn-launcher netns-hold` makes it and holds
 * it until this fd is open; then it is let go. For benches and tests.
 */
export async function openFreshNetns(launcher: string): Promise<number> {
  const holder = spawn(launcher, ['netns-hold'], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    let said = '';
    for await (const chunk of holder.stdout) {
      said += String(chunk);
      if (said.includes('ready\n')) break;
    }
    if (!said.includes('ready\n')) throw new Error(`tsfn-launcher netns-hold did not start: ${said}`);
    return openSync(`/proc/${holder.pid}/ns/net`, 'r');
  } finally {
    holder.stdin.end();
    if (holder.exitCode === null) await once(holder, 'exit');
  }
}
