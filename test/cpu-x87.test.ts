/**
 * The x87 against the host processor: seeded cases (test/support/x87-cases.ts) run on the
 * host through test/native/x87-oracle.c and on hvmsim's x87, compared bit for bit
 * (test/support/x87-compare.ts); transcendentals by the documented accuracy, with exact
 * agreement counted. X87_SEED=<n> picks another seed, X87_PER_FORM=<n> scales the count.
 */
import { describe, expect, it } from 'vitest';
import { buildX87Oracle, runX87Native } from './native/x87-native.js';
import { compareOutcome, describeMismatch } from './support/x87-compare.js';
import { generateX87Cases, x87Forms } from './support/x87-cases.js';
import { X87Runner } from './support/x87-runner.js';

const SEED = Number(process.env.X87_SEED ?? 0x87);
const forms = x87Forms();
const PER_FORM = Number(process.env.X87_PER_FORM ?? Math.ceil(100_000 / forms.length));

const oracle = buildX87Oracle();
const nativeError = 'error' in oracle ? oracle.error : undefined;
if (nativeError) console.warn(`cpu-x87: SKIPPED, the native oracle cannot be built: ${nativeError}`);

describe.skipIf(nativeError !== undefined)('x87 against the host processor', () => {
  it(`agrees on ${PER_FORM} seeded cases for each of ${forms.length} forms`, () => {
    const cases = generateX87Cases(SEED, PER_FORM, forms);
    const host = runX87Native((oracle as { path: string }).path, cases);
    const runner = new X87Runner();
    const byForm = new Map<string, { n: number; bad: number; ulp: number; examples: string[] }>();
    const EXAMPLES = Number(process.env.X87_EXAMPLES ?? 1);
    let exact = 0;
    let ulp = 0;
    let bad = 0;
    let transN = 0;
    let transExact = 0;
    cases.forEach((k, n) => {
      const sim = runner.run(k);
      const v = compareOutcome(k, host[n]!, sim);
      const s = byForm.get(k.form.name) ?? { n: 0, bad: 0, ulp: 0, examples: [] };
      s.n++;
      if (k.form.trans) {
        transN++;
        if (v === 'exact') transExact++;
      }
      if (v === 'exact') exact++;
      else if (v === 'within-ulp') {
        ulp++;
        s.ulp++;
      } else {
        bad++;
        s.bad++;
        if (s.examples.length < EXAMPLES) s.examples.push(describeMismatch(k, host[n]!, sim));
      }
      byForm.set(k.form.name, s);
    });
    const failing = [...byForm.entries()].filter(([, s]) => s.bad > 0);
    console.log(
      `cpu-x87: ${cases.length} cases over ${forms.length} forms: ${exact} bit-exact, ${ulp} transcendental within 1 ulp, ${bad} mismatches; ` +
        `transcendentals ${transExact}/${transN} bit-exact (${((100 * transExact) / Math.max(1, transN)).toFixed(2)}%)`,
    );
    for (const [name, s] of byForm) if (s.ulp) console.log(`  ${name}: ${s.n - s.ulp - s.bad}/${s.n} exact, ${s.ulp} within 1 ulp`);
    if (failing.length) {
      console.log(failing.slice(0, Number(process.env.X87_SHOW ?? 40)).map(([name, s]) => `${name}: ${s.bad}/${s.n}\n${s.examples.join('\n')}`).join('\n'));
    }
    expect(cases.length).toBeGreaterThanOrEqual(forms.length * PER_FORM);
    expect(failing.map(([name, s]) => `${name}: ${s.bad}/${s.n}`)).toEqual([]);
  }, 120_000);
});
