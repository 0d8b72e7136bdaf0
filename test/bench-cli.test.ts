/**
 * The benchmark entries keep the command-line contract `hvmsim` keeps (bench/bench-cli.ts):
 * `--help` prints the usage with status 0; a bad option or value prints one line and the usage
 * with status 2, and never a stack trace. Nothing is measured: every case stops at parsing.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/guest-files.js';

const ENTRIES = [
  { name: 'bench:cpu', file: 'cpu-bench.js', bad: ['--mode', 'fast'] },
  { name: 'bench:ioreq', file: 'ioreq-bench.js', bad: ['--trials', 'many'] },
  { name: 'bench:scan', file: 'scan-bench.js', bad: ['--repeats', '0'] },
  { name: 'bench:xenstore-fuzz', file: 'xenstore-fuzz.js', bad: ['--messages', 'lots'] },
  { name: 'bench:xenstore-latency', file: 'xenstore-latency.js', bad: ['--requests', '0'] },
] as const;

function run(file: string, args: readonly string[]) {
  return spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'bench', file), ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('benchmark command lines', () => {
  for (const e of ENTRIES) {
    it(`${e.name}: --help, an unknown option and a bad value`, () => {
      const help = run(e.file, ['--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: ${e.name} \\[options\\]`));
      for (const args of [['--no-such-option'], e.bad]) {
        const r = run(e.file, args);
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr.split('\n')[0]).toMatch(/^error: /);
        expect(r.stderr).toContain(`Usage: ${e.name} [options]`);
        expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
        expect(r.stdout).toBe('');
      }
    });
  }
});
