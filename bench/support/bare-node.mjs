// Times one `node -e 0` with a clean environment, from this small process:
// a benchmark's own (large) process would add its fork cost to the figure.
import { spawnSync } from 'node:child_process';

const t0 = performance.now();
spawnSync(process.execPath, ['-e', '0'], { env: {}, stdio: 'ignore' });
process.stdout.write(String(performance.now() - t0));
