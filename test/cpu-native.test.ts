/**
 * Differential test: the same instruction sequences run natively (test/native/cpu-oracle.c,
 * gcc -m32) and on the interpreter; registers, arithmetic flags + DF, the exception vector and
 * the data area must agree. Flags Intel documents as undefined are not compared, only counted.
 * CPU_NATIVE_SEED=<n> picks another seed; CPU_NATIVE_PER_FORM=<n> scales the case count.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildOracle, runNative } from './native/native-oracle.js';
import {
  AF, ARITH, baseData, CF, CODE_BASE, COMPARED_FLAGS, DATA_BASE, generateCases, hex, OF, PF, SF, STACK_TOP, ZF,
  type CpuCase, type CpuOutcome,
} from './support/cpu-cases.js';
import { InterpreterRunner } from './support/cpu-runner.js';

const SEED = Number(process.env.CPU_NATIVE_SEED ?? 0x5eed);
const PER_FORM = Number(process.env.CPU_NATIVE_PER_FORM ?? 60);
const REG = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const FLAG_NAMES: [number, string][] = [[CF, 'CF'], [PF, 'PF'], [AF, 'AF'], [ZF, 'ZF'], [SF, 'SF'], [OF, 'OF'], [0x400, 'DF']];

const oracle = buildOracle();
const nativeError = 'error' in oracle ? oracle.error : undefined;
if (nativeError) console.warn(`cpu-native: SKIPPED, the native oracle cannot be built: ${nativeError}`);

const h32 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
const flagText = (v: number): string => FLAG_NAMES.filter(([b]) => v & b).map(([, n]) => n).join(' ') || '-';

/** A hand-written case for the oracle's own sanity checks. */
function handCase(code: number[], regs: Partial<Record<string, number>> = {}, eflags = 0x2): CpuCase {
  return {
    form: 'hand',
    code: Uint8Array.from(code),
    regs: REG.map((r) => (r === 'esp' ? STACK_TOP : (regs[r] ?? 0)) >>> 0),
    eflags,
    patches: [],
    undefinedFlags: 0,
    undefinedRegBits: [0, 0, 0, 0, 0, 0, 0, 0],
  };
}

/** Differences between native and interpreter outcomes, as readable lines (none = match). */
function differences(c: CpuCase, n: CpuOutcome, i: CpuOutcome): string[] {
  const out: string[] = [];
  if (i.problem) out.push(`interpreter: ${i.problem}`);
  if (n.vector !== i.vector) return [...out, `vector: native ${n.vector}, interpreter ${i.vector}`];
  if (n.vector >= 0 && n.eip !== i.eip) out.push(`faulting eip: native ${h32(n.eip)}, interpreter ${h32(i.eip)}`);
  for (let r = 0; r < 8; r++) {
    const keep = n.vector >= 0 ? 0xffffffff : ~c.undefinedRegBits[r]!;
    if (((n.regs[r]! ^ i.regs[r]!) & keep) !== 0) out.push(`${REG[r]}: native ${h32(n.regs[r]!)}, interpreter ${h32(i.regs[r]!)}`);
  }
  const fmask = COMPARED_FLAGS & ~(n.vector >= 0 ? 0 : c.undefinedFlags);
  const fd = (n.eflags ^ i.eflags) & fmask;
  if (fd) out.push(`flags differ in ${flagText(fd)}: native ${flagText(n.eflags & fmask)}, interpreter ${flagText(i.eflags & fmask)}`);
  if (n.diff !== i.diff) out.push(`data area changes (offset:bytes from ${h32(DATA_BASE)}): native [${n.diff.trim()}], interpreter [${i.diff.trim()}]`);
  return out;
}

function disassemble(code: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'cpu-native-'));
  try {
    const file = join(dir, 'code.bin');
    writeFileSync(file, code);
    const r = spawnSync('objdump', ['-D', '-b', 'binary', '-mi386', `--adjust-vma=${CODE_BASE}`, file], { encoding: 'utf8' });
    if (r.status !== 0) return '(objdump unavailable)';
    const lines = r.stdout.split('\n').filter((l) => /^\s+[0-9a-f]+:\t/.test(l));
    return lines.map((l) => '    ' + l.trim().replace(/\s+/g, ' ')).join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describeCase(c: CpuCase): string {
  const regs = REG.map((r, k) => `${r}=${h32(c.regs[k]!)}`).join(' ');
  const patches = c.patches.map((p) => `${p.offset.toString(16)}:${hex(p.bytes.subarray(0, 16))}${p.bytes.length > 16 ? '…' : ''}`).join(' ');
  return [
    `  form: ${c.form}`,
    `  bytes: ${hex(c.code)} at ${h32(CODE_BASE)}`,
    disassemble(c.code),
    `  in: ${regs} eflags=${h32(c.eflags)} (${flagText(c.eflags)})${patches ? `\n  data patches: ${patches}` : ''}`,
    c.undefinedFlags ? `  undefined (not compared): ${flagText(c.undefinedFlags)}` : '',
  ].filter(Boolean).join('\n');
}

/** How often undefined results happen to agree, per mnemonic and flag. */
class UndefinedTally {
  private readonly t = new Map<string, Map<string, [number, number]>>();
  add(key: string, what: string, same: boolean): void {
    let m = this.t.get(key);
    if (!m) this.t.set(key, (m = new Map()));
    const e = m.get(what) ?? [0, 0];
    e[0] += same ? 1 : 0;
    e[1]++;
    m.set(what, e);
  }
  lines(): string[] {
    return [...this.t].map(([k, m]) => `  ${k.padEnd(8)} ${[...m].map(([w, [s, n]]) => `${w} ${s}/${n}`).join(', ')}`);
  }
}

const cases = generateCases(SEED, PER_FORM);
const forms = new Map<string, number>();
for (const c of cases) forms.set(c.form, (forms.get(c.form) ?? 0) + 1);

describe.skipIf(nativeError !== undefined)('x86 interpreter against the native CPU', () => {
  let native: CpuOutcome[] = [];

  it('runs the native oracle and its results are sane', () => {
    native = runNative((oracle as { path: string }).path, baseData(), cases);
    expect(native.length).toBe(cases.length);
    const checks = runNative((oracle as { path: string }).path, baseData(), [
      handCase([0x01, 0xc8], { eax: 0x7fffffff, ecx: 1 }), // add eax,ecx
      handCase([0x29, 0xc8], { eax: 0, ecx: 1 }), // sub eax,ecx
      handCase([0xf7, 0xf1], { eax: 5, ecx: 0 }), // div ecx by zero
      handCase([0x0f, 0x0b]), // ud2
      handCase([0x50], { eax: 0x12345678 }), // push eax
    ]);
    expect(checks[0]!.regs[0]).toBe(0x80000000);
    expect(checks[0]!.eflags & ARITH).toBe(OF | SF | AF | PF);
    expect(checks[1]!.regs[0]).toBe(0xffffffff);
    expect(checks[1]!.eflags & ARITH).toBe(CF | SF | AF | PF);
    expect(checks[2]).toMatchObject({ vector: 0, eip: CODE_BASE });
    expect(checks[3]).toMatchObject({ vector: 6, eip: CODE_BASE });
    expect(checks[4]!.regs[4]).toBe(STACK_TOP - 4);
    expect(checks[4]!.diff).toBe(` ${(STACK_TOP - 4 - DATA_BASE).toString(16)}:78563412`);
    // Every #DE the generator planned (divide by zero, quotient overflow) happened, and nothing else faulted.
    const mayFault = /^(#UD|i?div |aam |int3 |into |bound )/;
    const faulted = native.filter((o, k) => o.vector >= 0 && !mayFault.test(cases[k]!.form));
    expect(faulted.map((o) => o.vector)).toEqual([]);
    expect(native.filter((o, k) => o.vector === 0 && /^i?div /.test(cases[k]!.form)).length).toBeGreaterThan(100);
    expect(native.filter((o, k) => o.vector === 6 && cases[k]!.form.startsWith('#UD')).length).toBe(cases.filter((c) => c.form.startsWith('#UD')).length);
    console.log(`cpu-native: native oracle ran ${cases.length} cases (${forms.size} forms), seed ${SEED}`);
  });

  it('the interpreter matches the native CPU', async (ctx) => {
    const runner = await InterpreterRunner.create(baseData());
    if (typeof runner === 'string') {
      console.warn(`cpu-native: interpreter comparison SKIPPED: ${runner}`);
      ctx.skip();
      return;
    }
    expect(native.length).toBe(cases.length);
    const failures: string[] = [];
    const failedForms = new Map<string, number>();
    const info = new Map<string, { why: string; total: number; differ: number; example: string }>();
    const undef = new UndefinedTally();
    let compared = 0;
    for (let k = 0; k < cases.length; k++) {
      const c = cases[k]!;
      const n = native[k]!;
      const i = runner.run(c);
      const diffs = differences(c, n, i);
      if (c.informational) {
        const e = info.get(c.form) ?? { why: c.informational, total: 0, differ: 0, example: '' };
        e.total++;
        if (diffs.length) e.differ++;
        if (diffs.length && !e.example) e.example = `${hex(c.code)}: ${diffs[0]}`;
        info.set(c.form, e);
        continue;
      }
      compared++;
      if (diffs.length) {
        failedForms.set(c.form, (failedForms.get(c.form) ?? 0) + 1);
        // A few examples per form, so that one broken form does not hide the others.
        if (failures.length < 30 && failedForms.get(c.form)! <= 2) failures.push(`${describeCase(c)}\n  ${diffs.join('\n  ')}`);
        continue;
      }
      if (n.vector < 0 && !i.problem) {
        const mnemonic = c.form.split(' ')[0]!;
        for (const [bit, name] of FLAG_NAMES) if (c.undefinedFlags & bit) undef.add(mnemonic, name, ((n.eflags ^ i.eflags) & bit) === 0);
        c.undefinedRegBits.forEach((m, r) => m && undef.add(mnemonic, `${REG[r]}(dest)`, ((n.regs[r]! ^ i.regs[r]!) & m) === 0));
      }
    }
    const mismatched = [...failedForms.values()].reduce((a, b) => a + b, 0);
    console.log(
      [
        `cpu-native: compared ${compared} cases (${forms.size - info.size} forms), seed ${SEED}; ${mismatched} mismatched in ${failedForms.size} forms`,
        'undefined results that agree with this CPU (agree/total):',
        ...undef.lines(),
        ...(info.size ? ['informational (compared, never failing):'] : []),
        ...[...info].map(([f, e]) => `  ${f}: ${e.differ}/${e.total} differ${e.example ? ` (e.g. ${e.example})` : ''} — ${e.why}`),
      ].join('\n'),
    );
    const summary = [...failedForms].map(([f, n]) => `  ${String(n).padStart(4)} × ${f}`).join('\n');
    expect(mismatched, `mismatches per form:\n${summary}\n\nfirst mismatches:\n${failures.join('\n\n')}`).toBe(0);
  });
});
