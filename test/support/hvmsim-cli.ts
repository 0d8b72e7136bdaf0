/**
 * Runs the built `hvmsim` CLI (dist/toolstack/cli.js) as a child process, as a user would.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './guest-files.js';

export const HVMSIM_CLI = path.join(REPO_ROOT, 'dist', 'toolstack', 'cli.js');

export interface CliRun {
  stdout: string;
  stderr: string;
  status: number | null;
  signal: NodeJS.Signals | null;
}

export function runHvmsim(args: string[], opts: { timeoutMs?: number; input?: string; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HVMSIM_CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], cwd: opts.cwd });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('latin1'),
        stderr: Buffer.concat(err).toString('utf8'),
        status,
        signal,
      });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
