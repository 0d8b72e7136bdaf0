/**
 * What the exact 80-bit format costs (issue 12): tinybench timings of hvmsim's x87 operations
 * on normal operands (hypervisor/cpu/x87/float80*.ts, BigInt significands, one exact rounding
 * each) beside the same operation on JS doubles, and one x87 instruction through the
 * interpreter and block compiler beside an integer instruction. `npm run bench:x87`.
 * Timings are for this machine only; read them as ratios.
 */
import { cpus, loadavg } from 'node:os';
import { Bench } from 'tinybench';
import { Cpu } from '../hypervisor/cpu/cpu.js';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import { Reg } from '../hypervisor/cpu/registers.js';
import { F80, RoundInfo } from '../hypervisor/cpu/x87/float80.js';
import * as A from '../hypervisor/cpu/x87/float80-arith.js';
import * as V from '../hypervisor/cpu/x87/float80-convert.js';
import * as T from '../hypervisor/cpu/x87/float80-transcendental.js';
import { createP2mBuffer, P2mType } from '../shared/p2m.js';
import { seededUint32 } from './statistics.js';

const CW = 0x037f;
const info = new RoundInfo();
const rand = seededUint32(12);
const N = 256;
const xs: F80[] = [];
const ds: number[] = [];
for (let k = 0; k < N; k++) {
  const d = (rand() / 2 ** 32 + 0.5) * 2 ** ((rand() % 40) - 20);
  ds.push(d);
  xs.push(A.fromDouble(d));
}
let sink = 0;
let k = 0;
const next = (): number => (k = (k + 1) & (N - 1));

/** ns per x87 instruction through Cpu.run: a loop of `body` (x87 or integer) repeated `iterations` times. */
function perInstruction(body: number[], iterations: number, threshold: number): number {
  const mem = new GuestMemory(new SharedArrayBuffer(1 << 20), createP2mBuffer());
  mem.setType(0, 256, P2mType.RAM_RW);
  const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  // fninit; fld1; fld1; mov ecx, n; loop: body; dec ecx; jnz loop; hlt
  const code = [0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xe8, 0xb9, ...le32(iterations), ...body, 0x49, 0x75, (-(body.length + 3)) & 0xff, 0xf4];
  mem.load(0x10000, Uint8Array.from(code));
  Cpu.defaultCompileThreshold = threshold;
  const cpu = new Cpu(mem, (c) => c.requestStop());
  cpu.resetMultiboot(0x10000, 0);
  cpu.regs[Reg.ESP] = 0x8000;
  cpu.cr0 = 0x33;
  const t0 = process.hrtime.bigint();
  cpu.run(1e12);
  const ns = Number(process.hrtime.bigint() - t0);
  return ns / cpu.instructions;
}

async function main(): Promise<void> {
  const bench = new Bench({ time: 400, warmupTime: 100 });
  bench
    .add('double add (baseline)', () => {
      sink += ds[next()]! + ds[next()]!;
    })
    .add('fadd (80-bit, exact)', () => {
      sink += A.add(xs[next()]!, xs[next()]!, false, CW, info.reset()).exp;
    })
    .add('fsub', () => {
      sink += A.add(xs[next()]!, xs[next()]!, true, CW, info.reset()).exp;
    })
    .add('fmul', () => {
      sink += A.mul(xs[next()]!, xs[next()]!, CW, info.reset()).exp;
    })
    .add('fdiv', () => {
      sink += A.div(xs[next()]!, xs[next()]!, CW, info.reset()).exp;
    })
    .add('fsqrt', () => {
      sink += A.sqrt(xs[next()]!, CW, info.reset()).exp;
    })
    .add('fcom', () => {
      sink += A.compare(xs[next()]!, xs[next()]!, true, CW, info.reset());
    })
    .add('frndint', () => {
      sink += A.roundInt(xs[next()]!, CW, info.reset()).exp;
    })
    .add('fst m64 (round to double)', () => {
      sink += Number(V.toIeee(xs[next()]!, 64, CW, info.reset()) & 1n);
    })
    .add('fld m64', () => {
      sink += V.fromIeee(0x3ff0000000000001n + BigInt(next()), 64, info.reset()).exp;
    })
    .add('fistp m64', () => {
      sink += Number(V.toInt(xs[next()]!, 64, CW, info.reset()) & 1n);
    })
    .add('fsin', () => {
      sink += T.trig(xs[next()]!, T.Trig.SIN, CW, info.reset())?.exp ?? 0;
    })
    .add('fpatan', () => {
      sink += T.atan2(xs[next()]!, xs[next()]!, CW, info.reset()).exp;
    })
    .add('fyl2x', () => {
      sink += T.yl2x(xs[next()]!, xs[next()]!, CW, info.reset()).exp;
    })
    .add('f2xm1', () => {
      sink += T.f2xm1(xs[next()]!, CW, info.reset()).exp;
    });
  await bench.run();
  // Medians: a shared machine's other load shows up as outliers in the means.
  const median = (t: (typeof bench.tasks)[number]): number => t.result!.latency.p50 ?? t.result!.latency.mean;
  const base = median(bench.tasks[0]!);
  console.log(`load average ${loadavg().map((v) => v.toFixed(1)).join(' ')} on ${cpus().length} cores`);
  console.log('operation                  median ns/op   × double add');
  for (const t of bench.tasks) {
    const ms = median(t);
    console.log(`${t.name.padEnd(28)} ${(ms * 1e6).toFixed(1).padStart(8)} ${(ms / base).toFixed(1).padStart(10)}`);
  }
  const saved = Cpu.defaultCompileThreshold;
  const x87Body = [0xd8, 0xc1]; // fadd st0, st1
  const intBody = [0x01, 0xd8]; // add eax, ebx
  for (const [name, th] of [['interpreted', Infinity], ['compiled', 0]] as const) {
    // Best of three runs of each loop.
    const fx = Math.min(...[0, 1, 2].map(() => perInstruction(x87Body, 100_000, th)));
    const ix = Math.min(...[0, 1, 2].map(() => perInstruction(intBody, 100_000, th)));
    console.log(`${name}: loop of fadd st0,st1 ${fx.toFixed(1)} ns/instruction, of add eax,ebx ${ix.toFixed(1)} ns/instruction (both with dec/jnz)`);
  }
  Cpu.defaultCompileThreshold = saved;
  if (sink === 42) console.log('');
}

await main();
