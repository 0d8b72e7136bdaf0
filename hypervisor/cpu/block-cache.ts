/**
 * Decoded basic blocks, cached by linear start address (= guest-physical while paging is
 * off) and invalidated when a guest write touches a frame they were decoded from. Each
 * block remembers the blocks that followed it last time, so the common path from one block
 * to the next skips the map lookup (QEMU's TB chaining, in miniature).
 */
import { P2mType, PAGE_SHIFT } from '../../shared/p2m.js';
import type { Cpu } from './cpu.js';
import { decodeBlock } from './decoder.js';
import type { Insn } from './insn.js';

/**
 * A block compiled to one JavaScript function (block-compiler.ts). `limit` is the run's
 * instruction limit: a block that loops to itself checks it at every iteration. Returns the
 * next block when it is known statically (undefined: look it up from EIP).
 */
export type CompiledBlock = (c: Cpu, limit: number) => Block | undefined;

export class Block {
  valid = true;
  next0: Block | null = null;
  next1: Block | null = null;
  /** Interpreted executions so far: the block is compiled when this reaches Cpu.compileThreshold. */
  hits = 0;
  /** The compiled form, once the block is hot; null while it is interpreted. */
  fn: CompiledBlock | null = null;
  constructor(
    readonly start: number,
    readonly insns: Insn[],
    readonly firstFrame: number,
    readonly lastFrame: number,
  ) {}
}

export class BlockCache {
  private readonly map = new Map<number, Block>();
  private readonly byFrame = new Map<number, Block[]>();
  /** Blocks decoded and blocks compiled (for statistics). */
  decoded = 0;
  compiled = 0;

  constructor(private readonly cpu: Cpu) {}

  lookup(lin: number): Block {
    const b = this.map.get(lin);
    if (b !== undefined) return b;
    return this.translate(lin);
  }

  /** The block at `lin`, through the chain slots of `from` when possible. */
  successor(from: Block, lin: number): Block {
    const n0 = from.next0;
    if (n0 !== null && n0.start === lin && n0.valid) return n0;
    const n1 = from.next1;
    if (n1 !== null && n1.start === lin && n1.valid) return n1;
    const b = this.lookup(lin);
    if (n0 === null || !n0.valid) from.next0 = b;
    else from.next1 = b;
    return b;
  }

  private translate(lin: number): Block {
    const c = this.cpu;
    const mem = c.mem;
    const insns = decodeBlock((a) => this.fetch(a), lin);
    let end = lin;
    for (const i of insns) end += i.len;
    const firstFrame = (lin >>> 0) >>> PAGE_SHIFT;
    const lastFrame = ((end - 1) >>> 0) >>> PAGE_SHIFT;
    const b = new Block(lin, insns, firstFrame, lastFrame);
    for (let f = firstFrame; f <= lastFrame; f++) {
      let list = this.byFrame.get(f);
      if (!list) this.byFrame.set(f, (list = []));
      list.push(b);
      if (f < mem.ramBytes >>> PAGE_SHIFT) mem.watchCode(f);
    }
    this.map.set(lin, b);
    this.decoded++;
    return b;
  }

  /** Instruction fetch: only from RAM or directly mapped memory. */
  private fetch(lin: number): number {
    const a = lin >>> 0;
    const mem = this.cpu.mem;
    const frame = a >>> PAGE_SHIFT;
    if (mem.fastRead[frame]) return mem.ram[a]!;
    const direct = mem.directMapping(frame);
    const t = mem.p2m[frame];
    if (direct && (t === P2mType.MMIO_DIRECT || t === P2mType.RAM_LOGDIRTY || t === P2mType.RAM_RW)) {
      return direct.bytes[a - direct.base]!;
    }
    if (a < mem.ramBytes && (t === P2mType.RAM_RW || t === P2mType.RAM_LOGDIRTY)) return mem.ram[a]!;
    throw new FetchFault(a);
  }

  invalidateFrame(frame: number): void {
    const list = this.byFrame.get(frame);
    if (!list) return;
    this.byFrame.delete(frame);
    for (const b of list) {
      if (!b.valid) continue;
      b.valid = false;
      b.fn = null; // release the compiled closure (blocks linking here relink when they see !valid)
      if (this.map.get(b.start) === b) this.map.delete(b.start);
    }
  }

  clear(): void {
    for (const list of this.byFrame.values()) for (const b of list) b.valid = false;
    this.map.clear();
    this.byFrame.clear();
  }
}

/**
 * Instruction fetch from a frame that is neither RAM nor directly mapped. The run loop turns it
 * into the guest's #GP(0), as Xen does (Cpu.fetchFault).
 */
export class FetchFault {
  constructor(readonly addr: number) {}

  toString(): string {
    return `instruction fetch from 0x${(this.addr >>> 0).toString(16).padStart(8, '0')}, which is not RAM`;
  }
}
