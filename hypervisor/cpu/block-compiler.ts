/**
 * The block compiler: a hot block's decoded instructions become one JavaScript function, built
 * with `new Function` once (measured on this project's machine: per-block functions with registers in a
 * typed array ran 5x faster than per-instruction closures). Inside it, guest registers, segment
 * bases and the lazy flag record live in locals; operand sizes, register numbers, displacements
 * and immediates are literals; RAM accesses are inline. Instructions without an inline form
 * (compile-insns.ts) call their interpreter handler with the state written back first.
 *
 * What the Cpu sees is what the interpreter (Cpu.execBlock) would leave: the same retired
 * instruction count, EIP rewound to a faulting instruction, registers and flags written back
 * before anything that can exit or throw, and the block left after an instruction that set
 * `abortBlock` (self-modifying code, a stop request). The run loop never enters compiled code
 * for a single shadowed instruction, and still checks kicks once per block.
 */
import type { Block, CompiledBlock } from './block-cache.js';
import { BlockContext } from './compile-context.js';
import { generatorFor } from './compile-insns.js';
import type { Cpu } from './cpu.js';
import type { Exec, Insn } from './insn.js';
import { mulHighU32 } from './exec-alu.js';
import { fault } from './fault.js';
import { getCF, PARITY_EVEN, testCondition } from './lazy-flags.js';

/** Names the outer function binds for the block function (see compile-context.ts). */
const OUTER_PARAMS = ['I', 'H', 'R', 'SB', 'FR', 'FW', 'M8', 'M32', 'MV', 'TC', 'GCF', 'PE', 'FLT', 'MHU', 'TR', 'TW'] as const;

export interface BlockSource {
  /** The outer function body: binds constants, returns the block function. */
  readonly source: string;
  /** Instructions compiled inline (the others call their handler). */
  readonly inline: number;
  /** The block jumps to itself and was compiled as a loop. */
  readonly loops: boolean;
}

/** Emit every instruction of the block once; returns how many were inline. */
function emitInsns(ctx: BlockContext, insns: readonly Insn[]): number {
  let off = 0;
  let inline = 0;
  for (let n = 0; n < insns.length; n++) {
    const i = insns[n]!;
    const last = n === insns.length - 1;
    ctx.index = n;
    ctx.curOff = off;
    ctx.nextOff = off + i.len;
    ctx.exitEip = null;
    ctx.branchCond = null;
    const gen = generatorFor(i);
    if (gen !== undefined && gen(ctx, i, last)) {
      inline++;
      ctx.emitAbortCheck(last);
    } else {
      ctx.callHandler(last);
    }
    off += i.len;
  }
  return inline;
}

/**
 * Where the block goes: `xs` = 1 for the branch target, 2 for the next instruction (both
 * linked after the try, see linkCode), with c.eip set; nothing for a computed target.
 */
function exitCode(ctx: BlockContext, size: number): string {
  const cond = ctx.branchCond!;
  const taken = `c.eip = ${ctx.eip(ctx.branchOff)}; xs = 1;`;
  if (cond === 'true') return taken;
  return `if (${cond}) { ${taken} } else { c.eip = ${ctx.eip(size)}; xs = 2; }`;
}

/**
 * The body of a block that jumps back to its own start: the first pass runs from the entry
 * state; then a loop repeats a second pass compiled from the state the first one leaves
 * (registers and flags stay in locals across iterations). Each loop-back does what the run
 * loop does between blocks: count the instructions, stop at the budget, a kick, or an armed
 * interrupt window. Returns false when the second pass does not reach the state it started
 * from (it always should: the last flag-setting instruction fixes the state).
 */
function emitLoop(ctx: BlockContext, insns: readonly Insn[], size: number): boolean {
  const n = insns.length;
  const leave = (): string => `if (!${ctx.branchCond}) { ${ctx.flushCode()}c.instructions += ${n}; c.eip = ${ctx.eip(size)}; xs = 2; break body; }`;
  ctx.emit(leave());
  const entry = ctx.stateKey();
  ctx.emit('for (;;) {');
  ctx.emit(`c.instructions += ${n};`);
  // An exit during the last instruction (e.g. CALL $ pushing to MMIO) may have asked to stop.
  const aborted = ctx.lastMayAbort ? 'ab || ' : '';
  ctx.emit(`if (${aborted}c.instructions >= limit || Atomics.load(c.kick, 0) !== 0 || c.intWindowArmed) { ${ctx.flushCode()}c.eip = e0; return undefined; }`);
  emitInsns(ctx, insns);
  if (ctx.stateKey() !== entry || ctx.branchCond === null || ctx.branchOff !== 0) return false;
  ctx.emit(leave());
  ctx.emit('}');
  return true;
}

/**
 * After the try: the successor block for a static exit, cached in the closure (X1, X2) while
 * valid. Outside the try so that a fault fetching the next block's code leaves EIP at its
 * target, as the interpreter's successor lookup does.
 */
function linkCode(b: Block, ctx: BlockContext, size: number): string {
  const lin = (off: number): number => (b.start + off) | 0;
  const link = (slot: string, off: number): string =>
    `if (xs === ${slot}) return X${slot} !== null && X${slot}.valid && X${slot}.epoch === c.blocks.epoch ? X${slot} : (X${slot} = c.blocks.lookup(${lin(off)}));`;
  const lines = [ctx.lastMayAbort ? 'if (ab) return undefined;' : '', link('1', ctx.branchOff)];
  if (ctx.branchCond !== 'true') lines.push(link('2', size));
  lines.push('return undefined;');
  return lines.filter(Boolean).join('\n');
}

/**
 * JavaScript source for block `b`. `paging`: the CPU has CR0.PG set, so memory accesses test
 * the TLB inline (compile-context.ts); the cache is emptied when PG changes (Cpu.setPaging).
 */
export function blockSource(b: Block, paging = false): BlockSource {
  const insns = b.insns;
  let size = 0;
  for (const i of insns) size += i.len;
  let ctx = new BlockContext(insns, paging);
  const inline = emitInsns(ctx, insns);
  const lastInline = !ctx.handlerIndexes.has(insns.length - 1);
  if (lastInline && ctx.exitEip === null) {
    // Falls through to the next instruction: a static exit too.
    ctx.branchCond = 'true';
    ctx.branchOff = size;
  }
  let loops = ctx.branchCond !== null && ctx.branchOff === 0;
  if (loops && !emitLoop(ctx, insns, size)) {
    loops = false;
    ctx = new BlockContext(insns, paging);
    emitInsns(ctx, insns);
  }
  if (!loops) {
    // Epilogue: everything back into the Cpu, the block's instructions retired, EIP after it.
    const exit = ctx.branchCond !== null ? exitCode(ctx, size) : ctx.exitEip !== null ? `c.eip = ${ctx.exitEip};` : '';
    ctx.emit(`${ctx.flushCode()}c.instructions += ${insns.length}; ${exit}`);
  }
  const linked = ctx.branchCond !== null;

  const regs: number[] = [];
  for (let r = 0; r < 8; r++) if (ctx.usedRegs & (1 << r)) regs.push(r);
  const segs: number[] = [];
  for (let s = 0; s < 6; s++) if (ctx.usedSegs & (1 << s)) segs.push(s);
  const load = [...regs.map((r) => `r${r} = R[${r}]`), ...segs.map((s) => `s${s} = SB[${s}]`)];
  const reload = load.length ? `${load.join('; ')};` : '';
  const body = ctx.body().split(BlockContext.RELOAD).join(reload);

  const name = `blk_${(b.start >>> 0).toString(16).padStart(8, '0')}`;
  const source = [
    ...[...ctx.handlerIndexes].map((n) => `const I${n} = I[${n}], H${n} = H[${n}];`),
    linked ? 'let X1 = null, X2 = null;' : '',
    `return function ${name}(c, limit) {`,
    '  const e0 = c.eip;',
    `  let k = 0, ab = false, xs = 0, a = 0, v = 0, u = 0, t = 0, p = 0, q = 0, w = 0, x = 0, y = 0, z = 0, fa = 0, fb = 0, fr = 0, fc = 0, fo = 0, ff = 0, tq = 0, pq = 0${load.length ? ', ' + load.join(', ') : ''};`,
    '  try {',
    '  body: {',
    body,
    '  }',
    '  } catch (e) {',
    '    c.instructions += k;',
    '    throw e;',
    '  }',
    linked ? linkCode(b, ctx, size) : 'return undefined;',
    '};',
  ].join('\n');
  return { source, inline, loops };
}

/** Compile block `b` for CPU `c` (whose memory and register arrays the code binds). */
export function compileBlock(c: Cpu, b: Block): void {
  const { source } = blockSource(b, c.paging);
  const mem = c.mem;
  const outer = new Function(...OUTER_PARAMS, source) as (...args: unknown[]) => CompiledBlock;
  const handlers: Exec[] = b.insns.map((i: Insn) => i.exec);
  b.fn = outer(b.insns, handlers, c.regs, c.segBase, mem.fastRead, mem.fastWrite, mem.ram, mem.ram32, mem.ramView, testCondition, getCF, PARITY_EVEN, fault, mulHighU32, c.tlb.rd, c.tlb.wr);
  c.blocks.compiled++;
}
