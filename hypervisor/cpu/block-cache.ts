/**
 * Decoded basic blocks, cached by start address and invalidated when a guest write touches a
 * frame they were decoded from. Each block remembers the blocks that followed it last time, so
 * the common path from one block to the next skips the map lookup (QEMU's TB chaining, in
 * miniature).
 *
 * Without paging the key is the linear start (= guest-physical). With paging it is the
 * guest-physical start (the "code caches stay keyed by physical address"): a lookup
 * translates the linear EIP for a fetch, and a block is reused only if it was decoded at that
 * same linear address. Blocks end at a page boundary (decoder.ts), so a block touches at most
 * two frames, the second only through an instruction that crosses into it. A TLB flush bumps
 * `epoch`: chained links then go through the lookup once, which re-checks the translation
 * (including the second page's), so a remapped page is never run from a stale link.
 */
import { P2mType, PAGE_SHIFT } from '../../shared/p2m.js';
import type { Cpu } from './cpu.js';
import { decodeBlock } from './decoder.js';
import type { Insn } from './insn.js';
import { GuestFault } from './fault.js';
import { Vector } from './registers.js';

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
  /** The BlockCache epoch in which the block's translation was last checked. */
  epoch = 0;
  /** Its key in the cache (the start, physical with paging). */
  key = 0;
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
  /** Bumped when translations may have changed (TLB flush, INVLPG). */
  epoch = 0;
  /** The linear page and physical frame of the last fetch translation (paging on). */
  private fetchVpn = -1;
  private fetchFrame = 0;

  constructor(private readonly cpu: Cpu) {}

  lookup(lin: number): Block {
    if (!this.cpu.paging) {
      const b = this.map.get(lin);
      if (b !== undefined) return b;
      return this.translate(lin, lin);
    }
    this.fetchVpn = -1;
    const pa = this.fetchPhys(lin >>> 0);
    const b = this.map.get(pa);
    if (b !== undefined && b.start === lin && (b.epoch === this.epoch || this.recheck(b))) return b;
    return this.translate(lin, pa);
  }

  /** The block at `lin`, through the chain slots of `from` when possible. */
  successor(from: Block, lin: number): Block {
    const n0 = from.next0;
    const ep = this.epoch;
    if (n0 !== null && n0.start === lin && n0.valid && n0.epoch === ep) return n0;
    const n1 = from.next1;
    if (n1 !== null && n1.start === lin && n1.valid && n1.epoch === ep) return n1;
    const b = this.lookup(lin);
    if (n0 === null || !n0.valid || n0.epoch !== ep) from.next0 = b;
    else from.next1 = b;
    return b;
  }

  /** Translations may have changed: every block's is checked again at its next lookup. */
  translationsChanged(): void {
    this.epoch++;
    this.fetchVpn = -1;
  }

  /** After a flush: does the block's second page (if any) still map to the frame it was decoded from? */
  private recheck(b: Block): boolean {
    if (b.firstFrame !== b.lastFrame) {
      try {
        this.fetchVpn = -1;
        if (this.fetchPhys((((b.start >>> 0) | 0xfff) + 1) >>> 0) >>> PAGE_SHIFT !== b.lastFrame) return false;
      } catch (e) {
        if (e instanceof FetchFault) return false;
        throw e;
      }
    }
    b.epoch = this.epoch;
    return true;
  }

  /** `key`: the linear start without paging, the physical start with it. */
  private translate(lin: number, key: number): Block {
    const c = this.cpu;
    const mem = c.mem;
    this.fetchVpn = -1;
    const insns = decodeBlock((a) => this.fetch(a), lin);
    let end = lin;
    for (const i of insns) end += i.len;
    const firstFrame = this.physFrame(lin);
    const lastFrame = this.physFrame((end - 1) | 0);
    const b = new Block(lin, insns, firstFrame, lastFrame);
    b.epoch = this.epoch;
    b.key = key;
    for (const f of firstFrame === lastFrame ? [firstFrame] : [firstFrame, lastFrame]) {
      let list = this.byFrame.get(f);
      if (!list) this.byFrame.set(f, (list = []));
      list.push(b);
      if (f < mem.ramBytes >>> PAGE_SHIFT) mem.watchCode(f);
    }
    this.map.set(key, b);
    this.decoded++;
    return b;
  }

  /** The physical frame of a byte that was just fetched (its translation is in the TLB). */
  private physFrame(lin: number): number {
    return this.cpu.paging ? this.fetchPhys(lin >>> 0) >>> PAGE_SHIFT : (lin >>> 0) >>> PAGE_SHIFT;
  }

  /** Paging on: the physical address of a fetch at `a`; a #PF becomes a FetchFault carrying its error code. */
  private fetchPhys(a: number): number {
    const vpn = a >>> PAGE_SHIFT;
    if (vpn === this.fetchVpn) return ((this.fetchFrame << PAGE_SHIFT) | (a & 0xfff)) >>> 0;
    let pa: number;
    try {
      pa = this.cpu.translateFetch(a);
    } catch (e) {
      if (e instanceof GuestFault && e.vector === Vector.PF) throw new FetchFault(a, e.errorCode);
      throw e;
    }
    this.fetchVpn = vpn;
    this.fetchFrame = pa >>> PAGE_SHIFT;
    return pa;
  }

  /** Instruction fetch: only from RAM or directly mapped memory. */
  private fetch(lin: number): number {
    const a = this.cpu.paging ? this.fetchPhys(lin >>> 0) : lin >>> 0;
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
      if (this.map.get(b.key) === b) this.map.delete(b.key);
    }
  }

  clear(): void {
    for (const list of this.byFrame.values()) for (const b of list) b.valid = false;
    this.map.clear();
    this.byFrame.clear();
    this.translationsChanged();
  }
}

/**
 * Instruction fetch from a frame that is neither RAM nor directly mapped. The run loop turns it
 * into the guest's #GP(0), as Xen does (Cpu.fetchFault).
 */
export class FetchFault {
  constructor(
    readonly addr: number,
    /** With paging: the #PF error code of a fetch the page tables refuse (CR2 is set); -1 otherwise. */
    readonly pageFault = -1,
  ) {}

  toString(): string {
    return `instruction fetch from 0x${(this.addr >>> 0).toString(16).padStart(8, '0')}, which is not RAM`;
  }
}
