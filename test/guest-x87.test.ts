/**
 * The x87 guest (guests/x87) three ways: natively on the host processor (its computations,
 * guests/x87/x87-checks.c, built with gcc -m32 and run as a program), under hvmsim and under
 * QEMU. hvmsim must print what the silicon prints: every category's CRC lines bit for bit, and
 * the transcendentals value by value within one unit in the last place (exact agreement counted).
 *
 * QEMU 7.2's TCG is not the silicon, and where it differs the silicon wins. Measured on this
 * machine, QEMU differs in exactly these ways (QEMU_DIFFERS):
 *  - status words: QEMU never reports C1 as the round-up bit after an inexact result, so the
 *    status CRC of every rounding category differs (the values agree);
 *  - FPREM/FPREM1 values (ordinary and edge operands), FRNDINT on ordinary operands, FSCALE,
 *    and FIST/FST on the edge operands (pseudo-denormals, unnormals, SNaNs);
 *  - FSIN, FCOS, FPTAN, FSINCOS: QEMU computes them in the host's double (53 bits);
 *  - the FNSAVE image after FFREE/FDECSTP;
 *  - FERR#/IRQ 13 with CR0.NE = 0: QEMU 7.2 asserts (tcg_handle_interrupt: iothread not locked)
 *    when FWAIT raises FERR#, so the guest runs that case only under a Xen signature.
 * The #NM and #MF lines agree.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { GUESTS_DIR, guestElf, REPO_ROOT } from './support/guest-files.js';
import { runHvmsim } from './support/hvmsim-cli.js';
import { qemuAvailable, runUnderQemu } from './support/qemu.js';

const ELF = guestElf('x87');
const work = mkdtempSync(path.join(tmpdir(), 'hvmsim-x87-guest-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function nativeChecks(): string[] | string {
  const bin = path.join(work, 'x87-checks');
  const cc = spawnSync('gcc', ['-m32', '-O2', '-o', bin, path.join(REPO_ROOT, 'test/native/x87-checks-main.c'), path.join(GUESTS_DIR, 'x87/x87-checks.c')], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) return `gcc -m32 cannot build the native checks: ${cc.error?.message ?? cc.stderr}`;
  const r = spawnSync(bin, [], { encoding: 'utf8' });
  if (r.status !== 0) return `the native checks failed: ${r.stderr}`;
  return r.stdout.trimEnd().split('\n');
}

/** Lines QEMU is documented to print differently (see the header): prefix → which fields. */
const QEMU_DIFFERS: [RegExp, 'status' | 'values' | 'line'][] = [
  [/^(ordinary|edges) +\S+( m\d+)? +values/, 'status'],
  [/^ordinary (fprem|fprem1|frndint) /, 'values'],
  [/^edges +(fprem|fprem1|fscale|fst m32|fst m64|fist m16|fist m32|fistp m64) /, 'values'],
  [/^fnsave /, 'line'],
  [/^(fsin|fcos|fptan|fsincos):/, 'line'],
  [/^IRQ 13 \(FERR#\)/, 'line'],
];

function fields(line: string): { values?: string; status?: string } {
  const m = /values ([0-9a-f]{8}) status ([0-9a-f]{8})/.exec(line);
  return m ? { values: m[1], status: m[2] } : {};
}

/** Two lines of transcendental results, value by value: exact, within 1 ulp, or neither. */
function compareTranscendental(a: string, b: string): { exact: number; ulp: number; bad: number } {
  const va = a.split(': ')[1]!.split(' ');
  const vb = b.split(': ')[1]!.split(' ');
  const out = { exact: 0, ulp: 0, bad: 0 };
  va.forEach((x, k) => {
    const y = vb[k]!;
    if (x === y) return out.exact++;
    const key = (v: string): bigint => {
      const [se, sig] = v.split(':');
      const s = BigInt(`0x${sig}`);
      const e = Number.parseInt(se!, 16) & 0x7fff;
      return BigInt(e) * (1n << 63n) + (s & ((1n << 63n) - 1n));
    };
    const sameSign = (Number.parseInt(x.split(':')[0]!, 16) & 0x8000) === (Number.parseInt(y.split(':')[0]!, 16) & 0x8000);
    const d = key(x) - key(y);
    if (sameSign && (d === 1n || d === -1n)) out.ulp++;
    else out.bad++;
    return undefined;
  });
  return out;
}

describe('the x87 guest', () => {
  const native = nativeChecks();
  if (typeof native === 'string') console.warn(`guest-x87: SKIPPED the silicon comparison: ${native}`);

  test('under hvmsim it prints what the host processor computes, and its exception cases pass', { timeout: 120_000 }, async () => {
    const hv = await runHvmsim(['run', ELF], { timeoutMs: 100_000 });
    expect(hv.stderr).toBe('');
    expect(hv.status).toBe(1); // isa-debug-exit 0: every exception case went as expected
    const lines = hv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('cpuid: fpu 1 fxsr 1');
    expect(lines.slice(-3)).toEqual([
      '#NM with CR0.TS, CLTS, restarted             ok',
      '#MF at FWAIT after 1/0, CR0.NE = 1           ok',
      'IRQ 13 (FERR#) after 1/0, CR0.NE = 0         ok',
    ]);
    if (typeof native === 'string') return;
    const computed = lines.slice(1, -3);
    expect(computed.length).toBe(native.length);
    let exact = 0;
    let ulp = 0;
    computed.forEach((line, k) => {
      if (/^f\w+:/.test(line)) {
        const c = compareTranscendental(native[k]!, line);
        expect(c.bad, `${line}\n  host: ${native[k]}`).toBe(0);
        exact += c.exact;
        ulp += c.ulp;
      } else expect(line).toBe(native[k]);
    });
    console.log(`guest-x87: ${computed.length - 8} category lines equal to the host; transcendentals ${exact} bit-exact, ${ulp} within 1 ulp`);
  });

  test.skipIf(!qemuAvailable())('under QEMU it differs from hvmsim only where QEMU differs from the silicon', { timeout: 120_000 }, async () => {
    const [hv, q] = await Promise.all([runHvmsim(['run', ELF], { timeoutMs: 100_000 }), runUnderQemu(ELF, { timeoutMs: 60_000 })]);
    expect(q.status).toBe(1);
    const a = hv.stdout.trimEnd().split('\n');
    const b = q.serial.trimEnd().split('\n');
    expect(b.length).toBe(a.length);
    const differing: string[] = [];
    a.forEach((line, k) => {
      const other = b[k]!;
      if (line === other) return;
      const rule = QEMU_DIFFERS.filter(([re]) => re.test(line));
      const fa = fields(line);
      const fb = fields(other);
      const valuesDiffer = fa.values !== fb.values;
      const statusDiffer = fa.status !== fb.status;
      const allowed =
        rule.some(([, what]) => what === 'line') ||
        ((!valuesDiffer || rule.some(([, what]) => what === 'values')) && (!statusDiffer || rule.some(([, what]) => what === 'status')));
      expect(allowed, `undocumented QEMU difference:\n  hvmsim: ${line}\n  qemu:   ${other}`).toBe(true);
      differing.push(line.split(/ +(values|\d|:)/)[0]!);
    });
    console.log(`guest-x87: QEMU differs from the silicon (and hvmsim) on ${differing.length} of ${a.length} lines, all documented`);
  });
});
