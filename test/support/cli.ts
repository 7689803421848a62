import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { paths } from '../../core/paths.js';

const exec = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `tsfn` CLI against a gateway, as a user would. */
export async function tsfn(url: string, key: string | undefined, args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [join(paths.root, 'bin', 'tsfn.js'), ...args], {
      env: { PATH: process.env.PATH, TSFN_URL: url, TSFN_DATA_DIR: '/nonexistent', ...(key ? { TSFN_API_KEY: key } : {}) },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
