import { it } from 'vitest';
import { buildX87Oracle, runX87Native } from './native/x87-native.js';
import { compareOutcome, describeMismatch } from './support/x87-compare.js';
import { x87Forms, type X87Case } from './support/x87-cases.js';
import { X87Runner } from './support/x87-runner.js';

const inputs: [bigint, number][] = [
  [0n, 0], [0n, 0x8000], [0x8000000000000000n, 0x3fff], [0xc000000000000000n, 0xc000], [0xaaaaaaaaaaaaaaabn, 0x3ffd],
  [0xfffffffffffff800n, 0x4034], [0xffffff8000000001n, 0xbffe], [0x0000012345678901n, 0], [0x8000000000000001n, 0],
  [0x8000000000000000n, 0x7ffe], [0x8000000000000000n, 0x0001], [0x8000000000000000n, 0x7fff], [0xc000000000000001n, 0xffff],
  [0xa000000000000000n, 0x7fff], [0x4000000000000000n, 0x4000], [0xc90fdaa22168c235n, 0x4003],
];
const cws = [0x037f, 0x027f, 0x007f, 0x077f, 0x0b7f, 0x0f7f, 0x0c7f];
function ext(sig: bigint, se: number): Uint8Array {
  const b = new Uint8Array(10);
  for (let k = 0; k < 8; k++) b[k] = Number((sig >> BigInt(8 * k)) & 0xffn);
  b[8] = se & 0xff; b[9] = se >> 8;
  return b;
}
it('scratch', () => {
  const names = (process.env.FORMS ?? 'fmul st,st1').split(',');
  const forms = x87Forms().filter((f) => names.includes(f.name));
  const cases: X87Case[] = [];
  for (const form of forms) for (const cw of cws) for (const a of inputs) for (const b of inputs) {
    const st = new Uint8Array(108);
    const v = new DataView(st.buffer);
    v.setUint32(0, cw | 0xffff0000, true);
    v.setUint32(4, (6 << 11) | 0xffff0000, true); // TOP = 6
    v.setUint32(8, 0x0fff | 0xffff0000, true); // R6, R7 full
    st.set(ext(...a), 28);
    st.set(ext(...b), 38);
    cases.push({ form, state: st, mem: new Uint8Array(16), eflags: 0x202 });
  }
  const host = runX87Native((buildX87Oracle() as { path: string }).path, cases);
  const r = new X87Runner();
  let bad = 0;
  cases.forEach((k, n) => {
    const sim = r.run(k);
    if (compareOutcome(k, host[n]!, sim) === 'mismatch') { if (bad++ < 6) console.log(describeMismatch(k, host[n]!, sim)); }
  });
  console.log('bad', bad, 'of', cases.length);
});
