/** A seeded sample of the XenStore fuzz (bench/xenstore-fuzz-run.ts; the full run is `npm run bench:xenstore-fuzz`). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runXenstoreFuzz } from '../bench/xenstore-fuzz-run.js';
import { REPO_ROOT } from './support/guest-files.js';

describe('xenstore fuzz sample', () => {
  it('4000 hostile messages: no daemon crash, no internal error, the witness domain always answered right', () => {
    const r = runXenstoreFuzz({ messages: 4000, seed: 7, hostile: 3, checkEvery: 25 });
    expect(r.crashes).toBe(0);
    expect(r.internalErrors).toBe(0);
    expect(r.witnessFailures).toEqual([]);
    expect(r.leaks).toBe(0);
    expect(r.witnessChecks).toBe(4000 / 25 + 1);
    // The sample reaches every kind of hostility and both ways a ring is stopped.
    for (const k of ['request', 'garbage', 'oversized', 'unterminated', 'truncated', 'extra-argument', 'bad-index', 'reconnect']) {
      expect(r.generated[k] ?? 0, k).toBeGreaterThan(0);
    }
    expect(r.ringErrors.protocol).toBeGreaterThan(0);
    expect(r.ringErrors.ringIndex).toBeGreaterThan(0);
    expect(r.okReplies).toBeGreaterThan(500);
    for (const code of ['EINVAL', 'ENOENT', 'EACCES', 'ENOSYS']) expect(r.errorsByCode[code] ?? 0, code).toBeGreaterThan(0);
  });

  it('the leak check sees a leak when the witness makes its secret readable', () => {
    const r = runXenstoreFuzz({ messages: 4000, seed: 7, hostile: 3, checkEvery: 25, exposeSecret: true });
    expect(r.leaks).toBeGreaterThan(0);
    expect(r.crashes).toBe(0);
  });

  it('is reproducible from its seed', () => {
    const a = runXenstoreFuzz({ messages: 1500, seed: 99, hostile: 2, checkEvery: 50 });
    const b = runXenstoreFuzz({ messages: 1500, seed: 99, hostile: 2, checkEvery: 50 });
    const strip = ({ seconds: _s, ...rest }: typeof a) => rest;
    expect(strip(a)).toEqual(strip(b));
  });

  it('npm run bench:xenstore-fuzz prints the counts by outcome and exits 0 on a clean run', () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'bench', 'xenstore-fuzz.js'), '--messages', '2000', '--seed', '3'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^xenstore fuzz: 2000 messages, seed 3, 3 hostile domains/);
    expect(r.stdout).toContain('daemon crashes:   0; internal errors 0');
    expect(r.stdout).toMatch(/witness domain: {3}41 checks, 0 failed/);
  });
});
