/**
 * Crashes that say what happened: the random-code fuzz (bench/random-code-fuzz-run.ts) on a
 * seeded sample, run in-process through the domain code `hvmsim run` uses; a few of its crashing
 * guests through the CLI itself (exit status 4, the same one-line paragraph); code jumping into
 * emulated MMIO; and the last-resort formatting of whatever a thread reports.
 * Workers run from dist/: npm run build first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FUZZ_OPTIONS, reportProblem, runFuzz, strictCase, type CaseResult, type FuzzTally } from '../bench/random-code-fuzz-run.js';
import { caseSeed, randomCode, randomCodeGuest } from '../bench/random-code-guest.js';
import { tinyGuestElf } from '../guests/tiny-guest-elf.js';
import { describeThrown } from '../shared/describe-thrown.js';
import { GuestFault } from '../hypervisor/cpu/fault.js';
import { EXIT_CRASH } from '../toolstack/exit-status.js';
import { crashParagraph } from '../toolstack/run-command.js';
import { runHvmsim } from './support/hvmsim-cli.js';

const SEED = 0x5eed;
const SAMPLE = 300;
const dir = mkdtempSync(path.join(tmpdir(), 'hvmsim-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('random-code guests', () => {
  let tally: FuzzTally;
  const results: CaseResult[] = [];

  beforeAll(async () => {
    tally = await runFuzz({ ...DEFAULT_FUZZ_OPTIONS, cases: SAMPLE, seed: SEED, jobs: 2, limitMs: 200 }, (r) => results.push(r));
  }, 120_000);

  it('the same seed gives the same guest, another seed another one', () => {
    expect(randomCodeGuest(caseSeed(SEED, 7), 256)).toEqual(randomCodeGuest(caseSeed(SEED, 7), 256));
    expect(randomCode(caseSeed(SEED, 7), 256)).not.toEqual(randomCode(caseSeed(SEED, 8), 256));
    expect(randomCode(caseSeed(SEED, 7), 256)).not.toEqual(randomCode(caseSeed(SEED + 1, 7), 256));
  });

  it(`${SAMPLE} seeded cases: no host crash, every crash report one readable paragraph with status 4`, () => {
    expect(tally.cases).toBe(SAMPLE);
    expect(results.filter((r) => r.problem).map((r) => `case ${r.index}: ${r.kind}: ${r.problem}`)).toEqual([]);
    expect(tally.hostCrashes).toBe(0);
    expect(tally.badReports).toBe(0);
    const crashes = results.filter((r) => r.kind.startsWith('crash:'));
    // Random code mostly crashes its domain, in several ways; some of it runs off into MMIO.
    expect(crashes.length).toBeGreaterThan(SAMPLE / 2);
    expect(new Set(crashes.map((r) => r.kind)).size).toBeGreaterThanOrEqual(3);
    expect(crashes.some((r) => r.kind === 'crash: triple fault (after a fetch from non-RAM)')).toBe(true);
    for (const r of crashes) {
      expect(r.status).toBe(EXIT_CRASH);
      expect(reportProblem(r.report!)).toBeNull();
    }
  });

  it('a few of those guests through `hvmsim run`: exit status 4 and the same paragraph on stderr', async () => {
    const kinds = new Map<string, CaseResult>();
    for (const r of results) if (r.kind.startsWith('crash:') && !kinds.has(r.kind)) kinds.set(r.kind, r);
    const picked = [...kinds.values()].slice(0, 4);
    expect(picked.length).toBeGreaterThanOrEqual(3);
    for (const r of picked) {
      const file = path.join(dir, `fuzz-${SEED}-${r.index}.elf`);
      writeFileSync(file, randomCodeGuest(caseSeed(SEED, r.index), DEFAULT_FUZZ_OPTIONS.bytes));
      const run = await runHvmsim(['run', file, ...(strictCase(r.index) ? ['--strict-memory'] : [])], { timeoutMs: 30_000 });
      expect(run.status, run.stderr).toBe(EXIT_CRASH);
      expect(reportProblem(run.stderr)).toBeNull();
      // Exit counters aside (a timer tick may land differently), the CLI says what the fuzz saw.
      const upToExits = (s: string): string => s.slice(0, s.indexOf(' Exits: '));
      expect(upToExits(run.stderr)).toBe(upToExits(r.report!));
    }
  }, 120_000);
});

describe('code that runs into memory that is not RAM', () => {
  it('a jump into the legacy VGA window (mmio_dm) is #GP(0), and the triple fault that follows names the address and type', async () => {
    const file = path.join(dir, 'jump-to-vga.elf');
    writeFileSync(file, tinyGuestElf(new Uint8Array([0xb8, 0x00, 0x00, 0x0a, 0x00, 0xff, 0xe0]))); // mov eax, 0xa0000; jmp eax
    const run = await runHvmsim(['run', file], { timeoutMs: 30_000 });
    expect(run.status).toBe(EXIT_CRASH);
    expect(reportProblem(run.stderr)).toBeNull();
    expect(run.stderr).toContain('#GP(0) for an instruction fetch from 0x000a0000 (p2m type mmio_dm)');
    expect(run.stderr).toContain('EIP 0x000a0000');
  });
});

describe('reports of whatever was thrown', () => {
  it('describeThrown gives one line for errors, fault objects, plain objects and primitives', () => {
    const err = new TypeError('bad thing');
    expect(describeThrown(err)).toBe('TypeError: bad thing');
    expect(describeThrown(new GuestFault(13, 0))).toBe('guest fault: vector 13, error code 0x0');
    class Odd {
      constructor(readonly addr: number) {}
    }
    expect(describeThrown(new Odd(5))).toBe('Odd {"addr":5}');
    expect(describeThrown({})).toBe('object thrown');
    expect(describeThrown(42)).toBe('42');
    expect(describeThrown('two\nlines')).toBe('two lines');
  });

  it('a crash paragraph folds a reason with a stack trace into one line and never prints [object Object]', () => {
    const reason = `hypervisor error: Error: boom\n    at Cpu.run (file:///x/cpu.js:1:2)\n    at Vcpu.run (file:///x/vcpu.js:3:4)\nand [object Object]`;
    const p = crashParagraph('g', { reason, vcpu: 0, eip: 0x100000, instructionBytes: new Uint8Array([0xf4]), exits: {} });
    expect(reportProblem(p)).toBeNull();
    expect(p).toContain('hypervisor error: Error: boom and (an unprintable value)');
  });
});
