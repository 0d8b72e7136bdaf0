/**
 * Where compiling a block starts to pay: synthetic code of many distinct blocks, each run
 * `repeats` times, timed for several compile thresholds (Cpu.compileThreshold). Compiling costs
 * a `new Function` per block plus V8's own warm-up of it; interpreting costs per execution. The
 * best threshold is the one that wins across the repeat counts a real guest mixes.
 *
 * Run: `npm run build && node dist/bench/cpu-bench-threshold.js [--blocks N] [--trials N]`
 */
import { Command, InvalidArgumentError } from 'commander';
import { Cpu } from '../hypervisor/cpu/cpu.js';
import { ExitReason } from '../hypervisor/cpu/exit.js';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import { Reg } from '../hypervisor/cpu/registers.js';
import { createP2mBuffer, P2mType, PAGE_SHIFT } from '../shared/p2m.js';

const RAM_BYTES = 8 << 20;
const CODE = 0x100000;
const DATA = 0x700000;
const DEFAULT_THRESHOLDS = '0,200,1000,5000,20000,50000,never';
const DEFAULT_REPEATS = '100,1000,5000,20000,100000';

const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/**
 * `blocks` distinct blocks of six instructions (ALU, memory store, LEA, CMP, Jcc falling through),
 * inside a loop run `repeats` times, then HLT.
 */
function program(blocks: number): number[] {
  const code: number[] = [];
  for (let j = 0; j < blocks; j++) {
    code.push(0x05, ...le32(j * 7919)); // add eax, imm32
    code.push(0x31, 0xc3); // xor ebx, eax
    code.push(0x89, 0x5f, (j % 64) * 4); // mov [edi + disp8], ebx
    code.push(0x8d, 0x0c, 0x58); // lea ecx, [eax + ebx*2]
    code.push(0x39, 0xd1); // cmp ecx, edx
    code.push(0x75, 0x00); // jne +0: ends the block either way
  }
  const back = -(code.length + 1 + 6); // dec esi; jnz rel32 back to the start
  code.push(0x4e, 0x0f, 0x85, ...le32(back));
  code.push(0xf4);
  return code;
}

/** Milliseconds to run the program once, `repeats` loop iterations, at `threshold`. */
function timeOnce(code: number[], repeats: number, threshold: number): number {
  const mem = new GuestMemory(new SharedArrayBuffer(RAM_BYTES), createP2mBuffer());
  mem.setType(0, RAM_BYTES >>> PAGE_SHIFT, P2mType.RAM_RW);
  mem.ram.set(code, CODE);
  let halted = false;
  const cpu = new Cpu(mem, (c) => {
    if (c.exit.reason !== ExitReason.HLT) throw new Error(`unexpected exit ${c.exit.reason}`);
    halted = true;
    c.requestStop();
  });
  cpu.compileThreshold = threshold;
  cpu.resetMultiboot(CODE, 0);
  cpu.regs[Reg.ESI] = repeats;
  cpu.regs[Reg.EDI] = DATA;
  cpu.regs[Reg.ESP] = DATA;
  const t0 = performance.now();
  while (!halted) cpu.run(10_000_000);
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const numberList = (v: string): number[] =>
  v.split(',').map((x) => {
    const n = x === 'never' ? Infinity : Number(x);
    if (!(n >= 0)) throw new InvalidArgumentError(`not a count: ${x}`);
    return n;
  });

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

function main(): void {
  const opts = new Command()
    .name('cpu-bench-threshold')
    .option('--blocks <n>', 'distinct blocks in the synthetic code', positiveInt, 200)
    .option('--trials <n>', 'runs per cell (median reported)', positiveInt, 1)
    .option('--thresholds <list>', 'compile thresholds, comma-separated ("never" = interpreter only)', numberList, numberList(DEFAULT_THRESHOLDS))
    .option('--repeats <list>', 'executions per block, comma-separated', numberList, numberList(DEFAULT_REPEATS))
    .parse()
    .opts<{ blocks: number; trials: number; thresholds: number[]; repeats: number[] }>();
  const THRESHOLDS = opts.thresholds;
  const code = program(opts.blocks);
  timeOnce(code, 50, 200); // warm up the interpreter and the compiler themselves
  console.log(`${opts.blocks} blocks of 6 instructions; ns per guest instruction (median of ${opts.trials}); rows: executions per block`);
  console.log(['repeats'.padStart(8), ...THRESHOLDS.map((t) => `T=${t === Infinity ? 'never' : t}`.padStart(8))].join(' '));
  for (const r of opts.repeats) {
    const insns = r * (opts.blocks * 6 + 2);
    const cells = THRESHOLDS.map((t) => {
      const ms = median(Array.from({ length: opts.trials }, () => timeOnce(code, r, t)));
      return ((ms * 1e6) / insns).toFixed(1).padStart(8);
    });
    console.log([String(r).padStart(8), ...cells].join(' '));
  }
}

main();
