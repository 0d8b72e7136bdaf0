/**
 * The x86 vCPU: 32-bit protected mode, flat or based segments, 32-bit and PAE paging through a
 * software TLB (tlb.ts, page-walk.ts) on the one access path (docs/architecture.md §9). State lives in
 * typed arrays and plain number fields of one object so the interpreter's loads stay
 * monomorphic. Instructions are decoded once into blocks cached by address (block-cache.ts)
 * and executed by handler functions (exec-*.ts).
 *
 * The CPU knows nothing about devices: port I/O, accesses to frames that are not plain RAM,
 * HLT, VMCALL and CPUID leave through `onExit` with `exit` describing them, exactly as a VM
 * exit would; the hypervisor dispatches them through its exit table and resumes the CPU.
 *
 * An instruction that touches emulated memory more than once (a read-modify-write such as
 * `add [mmio], eax`, an access split at a page boundary) is one EPT violation in Xen, whose
 * emulator then issues every access of the instruction: here each access still leaves through
 * `onExit`, the later ones marked `exit.continuation`, so the exit is counted once.
 */
import type { BootCpuState } from '../../shared/boot-cpu-state.js';
import { FRAME_COUNT, P2M_TYPE_NAMES, P2mType, PAGE_SHIFT } from '../../shared/p2m.js';
import { BlockCache, FetchFault, type Block } from './block-cache.js';
import { compileBlock } from './block-compiler.js';
import { ExitInfo, ExitReason, IoDir } from './exit.js';
import { fault, GuestFault, pushesErrorCode, RunAbort } from './fault.js';
import type { GuestMemory } from './guest-memory.js';
import type { Insn } from './insn.js';
import { LazyOp, materialize, type LazyFlagState } from './lazy-flags.js';
import { Access, allowed, PDPTE_LO_RSVD, walk, WalkResult, type PageTableMemory, type PagingState } from './page-walk.js';
import { Cr0, Flag, Reg, REG_NAMES, Seg, SEG_NAMES, Vector, WRITABLE_FLAGS } from './registers.js';
import { Tlb, TlbPerm } from './tlb.js';
import { loadBootSegments, loadSegmentForInterrupt } from './segments.js';
import { X87State } from './x87/x87-state.js';

export type ExitHandler = (cpu: Cpu) => void;

export interface CrashReport {
  reason: string;
  eip: number;
  bytes: string;
  registers: Record<string, number>;
}

/** Why `run` returned. */
export const enum RunResult {
  STOPPED = 0, // an exit handler asked to stop (HLT, kick, shutdown...)
  BUDGET = 1, // the instruction budget ran out
  DEAD = 2, // triple fault or crash: the vCPU cannot run again
}

const MAX_INSN_LEN = 15;

/**
 * Interpreted executions of a block before it is compiled to JavaScript (block-compiler.ts).
 * A new block function costs ~0.1 ms to build, then runs in V8's baseline tiers, several times
 * slower than the interpreter, for thousands of calls until TurboFan optimises it; only blocks
 * that run tens of thousands of times win. Measured with bench/cpu-bench-threshold.ts: at
 * 10000 no repeat count ran slower than interpreted, at 200 lukewarm code ran up to 7x slower.
 */
export const DEFAULT_COMPILE_THRESHOLD = 10_000;

export class Cpu implements LazyFlagState, PagingState {
  /** compileThreshold of CPUs created from now on (tests force 0 or Infinity through it). */
  static defaultCompileThreshold = DEFAULT_COMPILE_THRESHOLD;

  readonly regs = new Int32Array(8);
  eip = 0;
  /** EIP of the instruction being executed (faults rewind to it). */
  curEip = 0;

  // Lazy flags (lazy-flags.ts).
  flags = Flag.FIXED1;
  lop: LazyOp = LazyOp.NONE;
  lsz = 32;
  la = 0;
  lb = 0;
  lr = 0;
  lcf = 0;
  lof = 0;
  laf = 0;

  // Segment registers: visible selector and the hidden descriptor cache.
  readonly segSel = new Int32Array(6);
  readonly segBase = new Int32Array(6);
  readonly segLimit = new Int32Array(6);
  readonly segAttr = new Int32Array(6);

  cr0 = Cr0.PE | Cr0.ET;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  gdtrBase = 0;
  gdtrLimit = 0;
  idtrBase = 0;
  idtrLimit = 0x3ff;
  readonly msrs = new Map<number, bigint>();
  /** The x87 FPU (x87/x87-state.ts). */
  readonly fpu = new X87State();
  /** IA32_EFER (only NXE is implemented). */
  efer = 0;
  /** PAE: the PDPTE registers (low, high dword of each), loaded by MOV CR3 and paging changes. */
  readonly pdpte = new Int32Array(8);
  /** CR0.PG: every linear address goes through the TLB. */
  paging = false;
  readonly tlb = new Tlb();
  /** TLB lookups that found no usable entry, page walks, and #PF raised by translation. */
  tlbMisses = 0;
  pageWalks = 0;
  pageFaults = 0;
  private readonly walkOut = new WalkResult();
  /** The linear address being translated, or -1 during a PDPTE load (a crash report names it). */
  private walkLin = 0;
  private pdpteFrom = 0;
  private readonly tables: PageTableMemory = {
    read32: (pa) => this.readTable(pa),
    or32: (pa, bits) => this.orTable(pa, bits),
  };

  /** Retired instructions. */
  instructions = 0;

  /** STI / MOV SS blocking: the next instruction runs before any interrupt. */
  shadow = false;
  /** Interrupt-window exiting, armed by intr_assist while an interrupt waits for IF=1. */
  intWindowArmed = false;
  /** Set by another thread to make this vCPU notice something (read once per block). */
  kick: Int32Array = new Int32Array(1);

  readonly exit = new ExitInfo();
  crash: CrashReport | null = null;
  dead = false;

  /**
   * The instruction whose emulation the last EPT violation began: its retired-instruction count
   * and EIP identify one execution (-1: none). A further access by the same execution is part
   * of the same exit.
   */
  private emulatedAt = -1;
  private emulatedEip = 0;
  /** Why the fault being delivered was raised, when the hypervisor raised it (a triple fault's report says). */
  private faultCause: string | null = null;

  /**
   * Executions of a block before it is compiled: 0 compiles every block before its first run,
   * Infinity never compiles (pure interpreter). Settable at any time.
   */
  compileThreshold = Cpu.defaultCompileThreshold;

  /** Set when the current block must not continue (stop request, code write, abort). */
  abortBlock = false;
  private stopRequested = false;

  readonly mem: GuestMemory;
  private readonly ram: Uint8Array;
  private readonly ram32: Int32Array;
  private readonly ramView: DataView;
  private readonly fastRead: Uint8Array;
  private readonly fastWrite: Uint8Array;
  readonly blocks: BlockCache;

  constructor(
    mem: GuestMemory,
    readonly onExit: ExitHandler,
  ) {
    this.mem = mem;
    this.ram = mem.ram;
    this.ram32 = mem.ram32;
    this.ramView = mem.ramView;
    this.fastRead = mem.fastRead;
    this.fastWrite = mem.fastWrite;
    // The TLB's "no entry" verdict names the frame below 4 GiB, which RAM never reaches (tlb.ts).
    if (mem.ramBytes > FRAME_COUNT * 4096 - 4096) throw new RangeError('RAM reaches the last frame below 4 GiB');
    this.blocks = new BlockCache(this);
    mem.onCodeWrite = (frame) => {
      this.blocks.invalidateFrame(frame);
      this.abortBlock = true; // the running block may have been overwritten
    };
    this.resetMultiboot(0, 0);
  }

  /**
   * The state QEMU's -kernel (and the multiboot spec) leaves: protected mode, flat 4 GiB
   * code and data segments, paging and interrupts off, EAX = 0x2BADB002, EBX = the info.
   */
  resetMultiboot(entry: number, mbInfo: number): void {
    this.regs.fill(0);
    this.regs[Reg.EAX] = 0x2badb002;
    this.regs[Reg.EBX] = mbInfo;
    this.eip = entry | 0;
    this.flags = Flag.FIXED1;
    this.lop = LazyOp.NONE;
    for (let s = 0; s < 6; s++) {
      this.segSel[s] = s === Seg.CS ? 0x10 : 0x18;
      this.segBase[s] = 0;
      this.segLimit[s] = -1;
      this.segAttr[s] = s === Seg.CS ? 0xc09b : 0xc093; // 32-bit, present, code RX / data RW
    }
    this.cr0 = Cr0.PE | Cr0.ET;
    this.cr2 = this.cr3 = this.cr4 = 0;
    this.efer = 0;
    this.pdpte.fill(0);
    this.setPaging(false);
    this.gdtrBase = this.gdtrLimit = 0;
    this.idtrBase = 0;
    this.idtrLimit = 0x3ff;
    this.shadow = false;
    this.intWindowArmed = false;
    this.crash = null;
    this.dead = false;
  }

  /** Start from the loader's state (shared/boot-cpu-state.ts), hidden segment parts read from its GDT. */
  loadBootState(s: BootCpuState): void {
    this.resetMultiboot(s.eip, 0);
    s.gpr.forEach((v, r) => (this.regs[r] = v | 0));
    this.setEflags(s.eflags);
    this.cr0 = s.cr0;
    this.gdtrBase = s.gdtBase;
    this.gdtrLimit = s.gdtLimit;
    this.idtrBase = s.idtBase;
    this.idtrLimit = s.idtLimit;
    loadBootSegments(this, s.codeSelector, s.dataSelector);
  }

  // ---------------------------------------------------------------- flags

  getEflags(): number {
    return materialize(this) | Flag.FIXED1;
  }

  setEflags(v: number): void {
    this.flags = (v & WRITABLE_FLAGS) | Flag.FIXED1 | (this.flags & (Flag.VM | Flag.RF | Flag.VIF | Flag.VIP));
    this.lop = LazyOp.NONE;
  }

  get interruptsEnabled(): boolean {
    return (this.flags & Flag.IF) !== 0;
  }

  /** Can an external interrupt be injected now (IF=1 and no STI/MOV-SS shadow)? */
  canTakeInterrupt(): boolean {
    return (this.flags & Flag.IF) !== 0 && !this.shadow;
  }

  // ---------------------------------------------------------------- registers

  getReg8(r: number): number {
    return r < 4 ? this.regs[r]! & 0xff : (this.regs[r - 4]! >>> 8) & 0xff;
  }

  setReg8(r: number, v: number): void {
    if (r < 4) this.regs[r] = (this.regs[r]! & ~0xff) | (v & 0xff);
    else this.regs[r - 4] = (this.regs[r - 4]! & ~0xff00) | ((v & 0xff) << 8);
  }

  getReg(r: number, osz: number): number {
    if (osz === 4) return this.regs[r]!;
    if (osz === 2) return this.regs[r]! & 0xffff;
    return this.getReg8(r);
  }

  setReg(r: number, osz: number, v: number): void {
    if (osz === 4) this.regs[r] = v;
    else if (osz === 2) this.regs[r] = (this.regs[r]! & ~0xffff) | (v & 0xffff);
    else this.setReg8(r, v);
  }

  // ---------------------------------------------------------------- memory

  /** Linear address of a ModRM memory operand. */
  ea(i: Insn): number {
    let a = i.disp;
    if (i.base >= 0) a += this.regs[i.base]!;
    if (i.index >= 0) a += this.regs[i.index]! << i.scale;
    if (i.asz16) a &= 0xffff;
    return (a + this.segBase[i.seg]!) | 0;
  }

  /** Offset (without segment base) of a ModRM memory operand: LEA. */
  eaOffset(i: Insn): number {
    let a = i.disp;
    if (i.base >= 0) a += this.regs[i.base]!;
    if (i.index >= 0) a += this.regs[i.index]! << i.scale;
    return i.asz16 ? a & 0xffff : a | 0;
  }

  rd8(lin: number): number {
    const a = lin >>> 0;
    if (this.paging) {
      const t = this.tlb.rd[a >>> PAGE_SHIFT]!;
      if (this.fastRead[t >>> PAGE_SHIFT]) return this.ram[t | (a & 4095)]!;
      return this.readSlow(a, 1);
    }
    if (this.fastRead[a >>> PAGE_SHIFT]) return this.ram[a]!;
    return this.readSlow(a, 1);
  }

  rd16(lin: number): number {
    const a = lin >>> 0;
    if (this.paging) {
      const t = this.tlb.rd[a >>> PAGE_SHIFT]!;
      if ((a & 0xfff) !== 0xfff && this.fastRead[t >>> PAGE_SHIFT]) return this.ramView.getUint16(t | (a & 4095), true);
      return this.readSlow(a, 2);
    }
    if ((a & 0xfff) !== 0xfff && this.fastRead[a >>> PAGE_SHIFT]) return this.ramView.getUint16(a, true);
    return this.readSlow(a, 2);
  }

  rd32(lin: number): number {
    const a = lin >>> 0;
    if (this.paging) {
      const t = this.tlb.rd[a >>> PAGE_SHIFT]!;
      if ((a & 0xfff) <= 0xffc && this.fastRead[t >>> PAGE_SHIFT]) return this.ramView.getInt32(t | (a & 4095), true);
      return this.readSlow(a, 4);
    }
    if (this.fastRead[a >>> PAGE_SHIFT]) {
      if ((a & 3) === 0) return this.ram32[a >>> 2]!;
      if ((a & 0xfff) <= 0xffc) return this.ramView.getInt32(a, true);
    }
    return this.readSlow(a, 4);
  }

  wr8(lin: number, v: number): void {
    const a = lin >>> 0;
    if (this.paging) {
      const t = this.tlb.wr[a >>> PAGE_SHIFT]!;
      if (this.fastWrite[t >>> PAGE_SHIFT]) this.ram[t | (a & 4095)] = v;
      else this.writeSlow(a, 1, v & 0xff);
      return;
    }
    if (this.fastWrite[a >>> PAGE_SHIFT]) this.ram[a] = v;
    else this.writeSlow(a, 1, v & 0xff);
  }

  wr16(lin: number, v: number): void {
    const a = lin >>> 0;
    if (this.paging) {
      const t = this.tlb.wr[a >>> PAGE_SHIFT]!;
      if ((a & 0xfff) !== 0xfff && this.fastWrite[t >>> PAGE_SHIFT]) this.ramView.setUint16(t | (a & 4095), v, true);
      else this.writeSlow(a, 2, v & 0xffff);
      return;
    }
    if ((a & 0xfff) !== 0xfff && this.fastWrite[a >>> PAGE_SHIFT]) this.ramView.setUint16(a, v, true);
    else this.writeSlow(a, 2, v & 0xffff);
  }

  wr32(lin: number, v: number): void {
    const a = lin >>> 0;
    if (this.paging) {
      const t = this.tlb.wr[a >>> PAGE_SHIFT]!;
      if ((a & 0xfff) <= 0xffc && this.fastWrite[t >>> PAGE_SHIFT]) this.ramView.setInt32(t | (a & 4095), v, true);
      else this.writeSlow(a, 4, v | 0);
      return;
    }
    if (this.fastWrite[a >>> PAGE_SHIFT]) {
      if ((a & 3) === 0) {
        this.ram32[a >>> 2] = v;
        return;
      }
      if ((a & 0xfff) <= 0xffc) {
        this.ramView.setInt32(a, v, true);
        return;
      }
    }
    this.writeSlow(a, 4, v | 0);
  }

  /**
   * Raise the fault a write of `size` bytes at `lin` would raise, without writing: callers that
   * store several dwords (x87 m64/m80, FSAVE) probe first so that no part is written before a
   * fault (the SDM's rule that a faulting instruction leaves memory unchanged). Without paging
   * no write faults, so this only checks its arguments; with paging it translates every page
   * the range touches for a write.
   */
  probeWrite(lin: number, size: number): void {
    if (!(size >= 1 && size <= 4096) || size !== Math.floor(size)) throw new RangeError(`probeWrite: bad size ${size}`);
    if (!this.paging) return;
    const a = lin >>> 0;
    const last = (a + size - 1) >>> 0;
    for (let p = a; ; ) {
      this.translate(p, Access.WRITE);
      if (p >>> PAGE_SHIFT === last >>> PAGE_SHIFT) return;
      p = ((p | 0xfff) + 1) >>> 0;
    }
  }

  // ---------------------------------------------------------------- paging

  /**
   * The guest-physical address of linear `a` for `access`: `a` itself without paging; through
   * the TLB with it, walking on a miss. A translation fault sets CR2 and throws #PF.
   */
  phys(a: number, access: Access): number {
    return this.paging ? this.translate(a >>> 0, access) : a >>> 0;
  }

  /**
   * An instruction fetch's translation (the block cache's): between instructions, so the
   * instruction concerned, for a crash report or an exit, is the one at EIP.
   */
  translateFetch(a: number): number {
    this.curEip = this.eip;
    return this.translate(a, Access.FETCH);
  }

  /** Paging on: the TLB entry if it allows the access, else a walk (page-walk.ts). */
  translate(a: number, access: Access): number {
    const vpn = a >>> PAGE_SHIFT;
    // The privilege of accesses changes only through privilegeChanged(), so that the walk and
    // the inline verdicts always agree on it.
    const user = this.tlb.userMode;
    const p = this.tlb.perm[vpn]!;
    if (p !== 0 && allowed(p, access, user) && (access !== Access.WRITE || p & TlbPerm.DIRTY)) {
      return ((this.tlb.frame[vpn]! << PAGE_SHIFT) | (a & 0xfff)) >>> 0;
    }
    if (p === 0) this.tlbMisses++;
    this.pageWalks++;
    this.walkLin = a;
    const out = this.walkOut;
    if (!walk(this, this.tables, a, access, user, out)) {
      this.pageFaults++;
      this.cr2 = a | 0;
      // A #PF drops the TLB entries for the address (SDM Vol. 3A §4.10.4.1), and with them
      // the translation chained blocks rely on.
      if (p !== 0) this.invalidatePage(a);
      fault(Vector.PF, out.error);
    }
    if (out.frame >= FRAME_COUNT) {
      this.crashWith(`linear 0x${hex8(a)} maps to guest-physical frame 0x${out.frame.toString(16)}, above 4 GiB, which hvmsim does not model`, this.curEip);
      throw new RunAbort('paging: frame above 4 GiB');
    }
    this.tlb.fill(vpn, out.frame, out.perm);
    return ((out.frame << PAGE_SHIFT) | (a & 0xfff)) >>> 0;
  }

  /** A page-table entry read: only RAM can hold page tables; anything else crashes the domain. */
  private readTable(pa: number): number {
    this.checkTable(pa);
    return Atomics.load(this.ram32, pa >>> 2);
  }

  /**
   * A/D update, one atomic OR on the shared RAM so other vCPUs see it. A table frame still
   * log-dirty takes the write exit first (the hypervisor marks it dirty), and a table frame
   * that also holds decoded code drops those translations, as any write there does.
   */
  private orTable(pa: number, bits: number): void {
    this.checkTable(pa);
    const frame = pa >>> PAGE_SHIFT;
    if (this.mem.p2m[frame] === P2mType.RAM_LOGDIRTY) {
      const x = this.exit;
      x.setSingle(pa, 4, IoDir.OUT, Atomics.load(this.ram32, pa >>> 2) | bits);
      x.p2mType = P2mType.RAM_LOGDIRTY;
      this.exitEpt();
      this.endEmulation();
    } else if (this.mem.codeFrames[frame]) {
      this.mem.onCodeWrite(frame);
      this.mem.unwatchCode(frame);
    }
    Atomics.or(this.ram32, pa >>> 2, bits);
  }

  private checkTable(pa: number): void {
    const frame = Math.floor(pa / 4096);
    const type = frame < FRAME_COUNT ? this.mem.p2m[frame]! : P2mType.INVALID;
    if (pa + 4 <= this.mem.ramBytes && (type === P2mType.RAM_RW || type === P2mType.RAM_LOGDIRTY)) return;
    this.crashWith(
      `${this.walkLin === -1 ? `the PDPTE load from CR3 0x${hex8(this.pdpteFrom)}` : `page walk for linear 0x${hex8(this.walkLin)}`} reads a paging structure at guest-physical 0x${pa.toString(16)} (p2m type ${P2M_TYPE_NAMES[type] ?? type}), which is not RAM`,
      this.curEip,
    );
    throw new RunAbort('page table outside RAM');
  }

  /**
   * Load the four PDPTEs from CR3 (PAE, SDM §4.4.1): at MOV CR3 with paging on, and when paging
   * or PAE is switched on. A reserved bit set in a present entry is #GP(0) for the instruction,
   * which then changes nothing.
   */
  loadPdptes(cr3: number): void {
    const base = (cr3 & ~0x1f) >>> 0;
    const next = new Int32Array(8);
    this.walkLin = -1;
    this.pdpteFrom = cr3;
    for (let i = 0; i < 4; i++) {
      const lo = this.readTable(base + 8 * i);
      const hi = this.readTable(base + 8 * i + 4);
      if (lo & 1 && (lo & PDPTE_LO_RSVD || hi & ~0xf)) fault(Vector.GP, 0);
      next[2 * i] = lo;
      next[2 * i + 1] = hi;
    }
    this.pdpte.set(next);
  }

  /**
   * CR0.PG changed: compiled blocks test the TLB only when built with paging on, and blocks are
   * keyed by linear address without paging and by physical address with it, so the cache is
   * emptied; the TLB too.
   */
  setPaging(on: boolean): void {
    this.tlb.flushAll();
    if (this.paging === on) return;
    this.paging = on;
    this.blocks?.clear();
    this.abortBlock = true;
  }

  /** Drop TLB entries (MOV CR3 keeps globals) and make the next block lookups check their translation again. */
  flushTlb(keepGlobal: boolean): void {
    if (keepGlobal) this.tlb.flushNonGlobal();
    else this.tlb.flushAll();
    this.blocks.translationsChanged();
    this.abortBlock = true;
  }

  /**
   * CPL may have changed (a CS load): the TLB's inline verdicts are per privilege. Nothing in
   * this CPU enters CPL 3 yet (rings are a later part of issue 11); whatever loads CS with a
   * new CPL must call this before the next access.
   */
  privilegeChanged(): void {
    this.tlb.setUser((this.segSel[Seg.CS]! & 3) === 3);
  }

  /** INVLPG. */
  invalidatePage(lin: number): void {
    this.tlb.invalidatePage((lin >>> 0) >>> PAGE_SHIFT);
    this.blocks.translationsChanged();
    this.abortBlock = true;
  }

  /** A physical load of `size` bytes (1, 2, 4) inside one page, by the frame's p2m type (no translation). */
  rdPhys(pa: number, size: number): number {
    return this.readChunk(pa >>> 0, size);
  }

  /** A physical store of `size` bytes (1, 2, 4) inside one page, by the frame's p2m type (no translation). */
  wrPhys(pa: number, size: number, v: number): void {
    this.writeChunk(pa >>> 0, size, v);
  }

  rd(lin: number, osz: number): number {
    return osz === 4 ? this.rd32(lin) : osz === 2 ? this.rd16(lin) : this.rd8(lin);
  }

  wr(lin: number, osz: number, v: number): void {
    if (osz === 4) this.wr32(lin, v);
    else if (osz === 2) this.wr16(lin, v);
    else this.wr8(lin, v);
  }

  /**
   * The read of a read-modify-write (ADD/INC/XCHG/BTS... to memory): with paging the processor
   * reads with write intent, so a not-present or read-only page faults with W=1 before anything
   * is read (the native oracle, test/native/paging-oracle.c, shows it; QEMU's TCG reads first
   * and reports W=0). Without paging it is a plain read.
   */
  rdw(lin: number, osz: number): number {
    if (this.paging) this.probeWrite(lin, osz);
    return this.rd(lin, osz);
  }

  /** r/m operand read (register or memory). */
  readRM(i: Insn): number {
    return i.mod === 3 ? this.getReg(i.rm, i.osz) : this.rd(this.ea(i), i.osz);
  }

  writeRM(i: Insn, v: number): void {
    if (i.mod === 3) this.setReg(i.rm, i.osz, v);
    else this.wr(this.ea(i), i.osz, v);
  }

  /**
   * Accesses that are not plain RAM. One that crosses a page boundary is split as Xen's
   * emulator splits it (linear_read/linear_write: the part in each page, each part in
   * power-of-two chunks as hvmemul_phys_mmio_access issues them): 4 bytes at page offset 0xffe
   * are 2 + 2, at 0xffd 2 + 1 + 1.
   */
  private readSlow(a: number, size: number): number {
    const first = 0x1000 - (a & 0xfff);
    if (first >= size) return this.readInPage(this.phys(a, Access.READ), size);
    // Both pages are translated before either is read: a #PF on the second has no side effect on the first.
    const p0 = this.phys(a, Access.READ);
    const p1 = this.phys((a + first) >>> 0, Access.READ);
    const v = this.readInPage(p0, first) | (this.readInPage(p1, size - first) << (8 * first));
    return size === 4 ? v | 0 : v;
  }

  /** `size` (1–4) bytes inside one page. */
  private readInPage(a: number, size: number): number {
    if (size !== 3) return this.readChunk(a, size);
    return this.readChunk(a, 2) | (this.readChunk((a + 2) >>> 0, 1) << 16);
  }

  /** One access of 1, 2 or 4 bytes inside one page, by the frame's p2m type. */
  private readChunk(a: number, size: number): number {
    const frame = a >>> PAGE_SHIFT;
    if (this.fastRead[frame]) {
      return size === 4 ? this.ramView.getInt32(a, true) : size === 2 ? this.ramView.getUint16(a, true) : this.ram[a]!;
    }
    const type = this.mem.p2m[frame]!;
    const direct = this.mem.directMapping(frame);
    if (direct && (type === P2mType.MMIO_DIRECT || type === P2mType.RAM_LOGDIRTY || type === P2mType.RAM_RW)) {
      const b = direct.bytes;
      const o = a - direct.base;
      return size === 4
        ? b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)
        : size === 2
          ? b[o]! | (b[o + 1]! << 8)
          : b[o]!;
    }
    const x = this.exit;
    x.setSingle(a, size, IoDir.IN, 0);
    x.p2mType = type;
    this.exitEpt();
    if (x.retry) return this.readChunk(a, size);
    return size === 4 ? x.value | 0 : x.value & (size === 2 ? 0xffff : 0xff);
  }

  private writeSlow(a: number, size: number, v: number): void {
    const first = 0x1000 - (a & 0xfff);
    if (first >= size) {
      this.writeInPage(this.phys(a, Access.WRITE), size, v);
      return;
    }
    // Both pages are translated before anything is written: no partial write before a #PF.
    const p0 = this.phys(a, Access.WRITE);
    const p1 = this.phys((a + first) >>> 0, Access.WRITE);
    this.writeInPage(p0, first, v);
    this.writeInPage(p1, size - first, v >>> (8 * first));
  }

  private writeInPage(a: number, size: number, v: number): void {
    if (size !== 3) {
      this.writeChunk(a, size, size === 4 ? v | 0 : v & (size === 2 ? 0xffff : 0xff));
      return;
    }
    this.writeChunk(a, 2, v & 0xffff);
    this.writeChunk((a + 2) >>> 0, 1, (v >>> 16) & 0xff);
  }

  private writeChunk(a: number, size: number, v: number): void {
    const frame = a >>> PAGE_SHIFT;
    if (this.fastWrite[frame]) {
      if (size === 4) this.ramView.setInt32(a, v, true);
      else if (size === 2) this.ramView.setUint16(a, v, true);
      else this.ram[a] = v;
      return;
    }
    const type = this.mem.p2m[frame]!;
    if (type === P2mType.RAM_RW && this.mem.codeFrames[frame] && frame < this.mem.ramBytes >>> PAGE_SHIFT) {
      this.mem.onCodeWrite(frame); // self-modifying code: drop the translations first
      this.mem.unwatchCode(frame);
      this.writeChunk(a, size, v);
      return;
    }
    const direct = this.mem.directMapping(frame);
    if (direct && (type === P2mType.MMIO_DIRECT || type === P2mType.RAM_RW)) {
      const b = direct.bytes;
      const o = a - direct.base;
      for (let k = 0; k < size; k++) b[o + k] = v >>> (8 * k);
      return;
    }
    const x = this.exit;
    x.setSingle(a, size, IoDir.OUT, v);
    x.p2mType = type;
    this.exitEpt();
    if (x.retry) this.writeChunk(a, size, v); // e.g. log-dirty: the frame is writable now
  }

  /**
   * Raise an EPT violation for the access `exit` describes (string instructions fill it for a
   * whole chunk). The first access of an instruction's execution is a new exit; a further one
   * by the same execution is part of it (`continuation`). An exit the handler asks to retry
   * (log-dirty) ends the emulation: in Xen the instruction restarts and faults afresh.
   */
  exitEpt(): void {
    const x = this.exit;
    const same = this.emulatedAt === this.instructions && this.emulatedEip === this.curEip;
    x.continuation = same;
    this.emulatedAt = this.instructions;
    this.emulatedEip = this.curEip;
    this.vmexit(ExitReason.EPT_VIOLATION);
    if (x.retry) this.emulatedAt = -1;
  }

  /** The next access to emulated memory is a new exit: the current instruction's emulation ended (a REP iteration). */
  endEmulation(): void {
    this.emulatedAt = -1;
  }

  // ---------------------------------------------------------------- stack

  push32(v: number): void {
    const sp = (this.regs[Reg.ESP]! - 4) | 0;
    this.wr32(sp + this.segBase[Seg.SS]!, v);
    this.regs[Reg.ESP] = sp;
  }

  push16(v: number): void {
    const sp = (this.regs[Reg.ESP]! - 2) | 0;
    this.wr16(sp + this.segBase[Seg.SS]!, v);
    this.regs[Reg.ESP] = sp;
  }

  push(osz: number, v: number): void {
    if (osz === 2) this.push16(v);
    else this.push32(v);
  }

  pop32(): number {
    const sp = this.regs[Reg.ESP]!;
    const v = this.rd32(sp + this.segBase[Seg.SS]!);
    this.regs[Reg.ESP] = (sp + 4) | 0;
    return v;
  }

  pop16(): number {
    const sp = this.regs[Reg.ESP]!;
    const v = this.rd16(sp + this.segBase[Seg.SS]!);
    this.regs[Reg.ESP] = (sp + 2) | 0;
    return v;
  }

  pop(osz: number): number {
    return osz === 2 ? this.pop16() : this.pop32();
  }

  // ---------------------------------------------------------------- control

  /** Ask `run` to return after the current instruction (from an exit handler). */
  requestStop(): void {
    this.stopRequested = true;
    this.abortBlock = true;
  }

  /** Raise an exit with `exit` already filled in (reason included). */
  vmexit(reason: ExitReason): void {
    this.exit.reason = reason;
    this.onExit(this);
  }

  /**
   * Run until an exit handler asks to stop, the vCPU dies, or about `budget` instructions
   * have retired (checked between blocks).
   */
  run(budget: number): RunResult {
    if (this.dead) return RunResult.DEAD;
    this.stopRequested = false;
    const limit = this.instructions + budget;
    try {
      return this.runBlocks(limit);
    } catch (e) {
      if (e instanceof RunAbort) {
        // A block lookup abandoned (the domain crashed on a page table outside RAM).
        return this.dead ? RunResult.DEAD : RunResult.STOPPED;
      }
      if (!(e instanceof FetchFault)) throw e;
      // Back to the caller after the fault: a guest whose handler cannot be fetched either
      // retires nothing, and must still leave the loop to its timers and control requests.
      if (e.pageFault >= 0) {
        // #PF on an instruction fetch: CR2 is already set, EIP is at the instruction.
        this.curEip = this.eip;
        this.raiseException(Vector.PF, e.pageFault);
      } else this.fetchFault(e.addr);
      return this.dead ? RunResult.DEAD : this.stopRequested ? RunResult.STOPPED : RunResult.BUDGET;
    }
  }

  /**
   * Code at `addr` cannot be fetched: its frame is emulated MMIO (mmio_dm, mmio_hv) or not
   * populated. Xen handles the EPT violation by emulating the instruction, but its emulator
   * refuses to fetch from anything but RAM (hvmemul's linear_read: an instruction fetch that
   * does not resolve to RAM is unhandleable) and hvm_hap_nested_page_fault then injects
   * #GP(0); an unpopulated gfn reads as mmio_dm in Xen's p2m and takes the same path. QEMU's
   * TCG would execute MMIO contents instead; hvmsim follows Xen. Directly mapped frames (VRAM
   * in the shared modes) are fetched like RAM, as they are RAM under Xen. EIP is already at
   * the instruction that could not be fetched.
   */
  private fetchFault(addr: number): void {
    const a = addr >>> 0;
    const type = this.mem.p2m[a >>> PAGE_SHIFT]!;
    this.curEip = this.eip;
    this.faultCause = `#GP(0) for an instruction fetch from 0x${a.toString(16).padStart(8, '0')} (p2m type ${P2M_TYPE_NAMES[type] ?? type}), which Xen does not emulate`;
    this.raiseException(Vector.GP, 0);
    this.faultCause = null;
  }

  private runBlocks(limit: number): RunResult {
    const kick = this.kick;
    let block: Block | null = null;
    while (this.instructions < limit) {
      if (kick[0] !== 0) {
        this.vmexit(ExitReason.EXTERNAL_INTERRUPT);
        if (this.stopRequested) break;
      }
      if (this.intWindowArmed && !this.shadow && (this.flags & Flag.IF) !== 0) {
        this.intWindowArmed = false;
        this.vmexit(ExitReason.INTERRUPT_WINDOW);
        if (this.stopRequested) break;
      }
      const lin = (this.eip + this.segBase[Seg.CS]!) | 0;
      if (block === null || block.start !== lin || !block.valid) block = this.blocks.lookup(lin);
      const shadowed = this.shadow;
      let next: Block | null;
      if (shadowed) {
        // One instruction in an interrupt shadow: always interpreted.
        next = this.execBlock(block, 1);
        this.shadow = false;
      } else {
        if (block.fn === null && block.hits++ >= this.compileThreshold) compileBlock(this, block);
        next = block.fn !== null ? this.execCompiled(block, limit) : this.execBlock(block, block.insns.length);
      }
      if (this.dead) return RunResult.DEAD;
      if (this.stopRequested) break;
      block = next;
    }
    return this.dead ? RunResult.DEAD : this.stopRequested ? RunResult.STOPPED : RunResult.BUDGET;
  }

  /** Execute up to `count` instructions of `b`; returns the chained successor if known. */
  private execBlock(b: Block, count: number): Block | null {
    const insns = b.insns;
    let k = 0;
    this.abortBlock = false;
    try {
      for (; k < count; k++) {
        const i = insns[k]!;
        this.curEip = this.eip;
        this.eip = (this.eip + i.len) | 0;
        i.exec(this, i);
        if (this.abortBlock) {
          k++;
          this.instructions += k;
          return null;
        }
      }
    } catch (e) {
      this.instructions += k;
      this.unwind(e);
      return null;
    }
    this.instructions += k;
    if (count !== insns.length) return null;
    return this.blocks.successor(b, (this.eip + this.segBase[Seg.CS]!) | 0);
  }

  /**
   * Run a compiled block to its end or its first abort. The generated code counts retired
   * instructions itself and, before anything that can throw, leaves `curEip` at the
   * instruction doing it and the registers and flags in this object.
   */
  private execCompiled(b: Block, limit: number): Block | null {
    this.abortBlock = false;
    let next: Block | undefined;
    try {
      next = b.fn!(this, limit);
    } catch (e) {
      // Decoding the next block failed: EIP is already its address, as after successor().
      if (e instanceof FetchFault) throw e;
      this.unwind(e);
      return null;
    }
    if (this.abortBlock) return null;
    return next ?? this.blocks.successor(b, (this.eip + this.segBase[Seg.CS]!) | 0);
  }

  /**
   * An instruction did not complete: rewind EIP to it, then deliver a guest fault through the
   * IDT or, for an abandoned exit (RunAbort), stop so it restarts on the next run.
   */
  private unwind(e: unknown): void {
    this.eip = this.curEip;
    if (e instanceof GuestFault) this.raiseException(e.vector, e.errorCode);
    else if (e instanceof RunAbort) this.stopRequested = true;
    else throw e;
  }

  // ---------------------------------------------------------------- interrupts and exceptions

  /** Deliver an exception raised by the current instruction (EIP already rewound to it). */
  raiseException(vector: number, errorCode: number): void {
    if (pushesErrorCode(vector) && errorCode < 0) errorCode = 0;
    this.deliver(vector, errorCode);
  }

  /** Software interrupt (INT n, INT3, INTO): the return address is the next instruction. */
  softwareInterrupt(vector: number): void {
    this.deliver(vector, -1);
  }

  /** Inject an external interrupt (intr_assist); the caller checked canTakeInterrupt(). */
  injectInterrupt(vector: number): void {
    this.shadow = false;
    this.deliver(vector, -1);
  }

  /**
   * Deliver through the IDT, returning to the current EIP. A fault while delivering becomes
   * a double fault; a fault while delivering the double fault is a triple fault.
   */
  private deliver(vector: number, errorCode: number): void {
    try {
      this.deliverGate(vector, errorCode);
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      if (vector === Vector.DF) {
        this.tripleFault(`fault (vector ${e.vector}) while delivering a double fault`);
        return;
      }
      try {
        this.deliverGate(Vector.DF, 0);
      } catch (e2) {
        if (!(e2 instanceof GuestFault)) throw e2;
        this.tripleFault(
          `fault (vector ${e.vector}) while delivering vector ${vector}, then (vector ${e2.vector}) while delivering the double fault`,
        );
      }
    }
  }

  /** One delivery through a 32-bit interrupt or trap gate, at CPL 0 (no stack switch). */
  private deliverGate(vector: number, errorCode: number): void {
    if (vector * 8 + 7 > this.idtrLimit) fault(Vector.GP, vector * 8 + 2);
    const lo = this.rd32(this.idtrBase + vector * 8);
    const hi = this.rd32(this.idtrBase + vector * 8 + 4);
    const type = (hi >>> 8) & 0x1f;
    if (type !== 0x0e && type !== 0x0f) fault(Vector.GP, vector * 8 + 2); // task and 16-bit gates: not supported
    if (!(hi & 0x8000)) fault(Vector.NP, vector * 8 + 2);
    const eflags = this.getEflags();
    const sp0 = this.regs[Reg.ESP]!;
    const cs0 = this.saveSegment(Seg.CS);
    try {
      this.push32(eflags);
      this.push32(this.segSel[Seg.CS]!);
      this.push32(this.eip);
      if (errorCode >= 0) this.push32(errorCode);
      loadSegmentForInterrupt(this, lo >>> 16);
    } catch (e) {
      this.regs[Reg.ESP] = sp0;
      this.restoreSegment(Seg.CS, cs0);
      throw e;
    }
    this.flags = eflags & ~(Flag.TF | Flag.NT | Flag.RF | Flag.VM | (type === 0x0e ? Flag.IF : 0));
    this.lop = LazyOp.NONE;
    this.eip = (lo & 0xffff) | (hi & 0xffff0000);
  }

  saveSegment(s: Seg): [number, number, number, number] {
    return [this.segSel[s]!, this.segBase[s]!, this.segLimit[s]!, this.segAttr[s]!];
  }

  restoreSegment(s: Seg, v: [number, number, number, number]): void {
    this.segSel[s] = v[0];
    this.segBase[s] = v[1];
    this.segLimit[s] = v[2];
    this.segAttr[s] = v[3];
  }

  /** The vCPU cannot continue: record a report and tell the hypervisor. */
  tripleFault(why: string): void {
    const cause = this.faultCause !== null ? `; the first fault was ${this.faultCause}` : '';
    this.crashWith(`triple fault: ${why}${cause}`);
    this.vmexit(ExitReason.TRIPLE_FAULT);
  }

  /**
   * Record a crash report and stop this vCPU for good (the hypervisor then crashes the domain).
   * `eip`: where the guest is; an exit handler crashing on the instruction that exited passes
   * `curEip`, so the report names that instruction, as Xen's does.
   */
  crashWith(reason: string, eip = this.eip): void {
    this.crash = this.report(reason, eip);
    this.dead = true;
    this.abortBlock = true;
    this.stopRequested = true;
  }

  report(reason: string, eip = this.eip): CrashReport {
    const bytes: string[] = [];
    const lin = (eip + this.segBase[Seg.CS]!) >>> 0;
    for (let k = 0; k < MAX_INSN_LEN; k++) {
      let a = (lin + k) >>> 0;
      if (this.paging) {
        // Only through entries the TLB holds: a report must not walk (and set A bits).
        const vpn = a >>> PAGE_SHIFT;
        if (!this.tlb.perm[vpn]) break;
        a = ((this.tlb.frame[vpn]! << PAGE_SHIFT) | (a & 0xfff)) >>> 0;
      }
      if (a >= this.mem.ramBytes || !this.fastRead[a >>> PAGE_SHIFT]) break;
      bytes.push(this.ram[a]!.toString(16).padStart(2, '0'));
    }
    const registers: Record<string, number> = {};
    REG_NAMES.forEach((n, r) => (registers[n] = this.regs[r]! >>> 0));
    registers.eip = eip >>> 0;
    registers.eflags = this.getEflags() >>> 0;
    SEG_NAMES.forEach((n, s) => (registers[n] = this.segSel[s]!));
    registers.cr0 = this.cr0 >>> 0;
    if (this.paging) {
      registers.cr2 = this.cr2 >>> 0;
      registers.cr3 = this.cr3 >>> 0;
      registers.cr4 = this.cr4 >>> 0;
    }
    return { reason, eip: eip >>> 0, bytes: bytes.join(' '), registers };
  }
}

function hex8(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}
