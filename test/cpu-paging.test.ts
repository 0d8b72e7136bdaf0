/**
 * Paging in the CPU (hypervisor/cpu/page-walk.ts, tlb.ts and the access path in cpu.ts),
 * in-process:
 *  - the page walker against the SDM's rules (Vol. 3A §4.3, §4.4, §4.6–§4.8), case by case;
 *  - the TLB's flush rules (§4.10.4);
 *  - the CPU: page tables outside RAM crash the domain, probeWrite, no partial write across a
 *    page boundary, p2m rules (MMIO exits, log-dirty) on the translated frame, code written
 *    through another mapping, PDPTE reserved bits, the counters;
 *  - the paging guests (QEMU's oracle is test/run-differential.test.ts) interpreted, compiled
 *    and at the default threshold, with the number of #PF they take.
 */
import { describe, expect, test } from 'vitest';
import { Cpu } from '../hypervisor/cpu/cpu.js';
import { ExitReason, IoDir } from '../hypervisor/cpu/exit.js';
import { GuestFault } from '../hypervisor/cpu/fault.js';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import {
  Access,
  CR0_PG,
  CR0_WP,
  CR4_PAE,
  CR4_PGE,
  CR4_PSE,
  EFER_NXE,
  walk,
  WalkResult,
  type PageTableMemory,
  type PagingState,
} from '../hypervisor/cpu/page-walk.js';
import { Reg } from '../hypervisor/cpu/registers.js';
import { Tlb, TLB_NONE, TlbPerm } from '../hypervisor/cpu/tlb.js';
import { runGuest } from '../bench/cpu-bench-guest.js';
import { createP2mBuffer, P2mType } from '../shared/p2m.js';
import { expectedSerial, guestElf } from './support/guest-files.js';

// ------------------------------------------------------------------ the walker

const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;

/** Page tables in a plain word array (physical address → dword), with the ORs recorded. */
class Tables implements PageTableMemory {
  readonly words = new Map<number, number>();
  readonly ors: [number, number][] = [];
  read32(pa: number): number {
    return this.words.get(pa) ?? 0;
  }
  or32(pa: number, bits: number): void {
    this.ors.push([pa, bits]);
    this.words.set(pa, (this.read32(pa) | bits) | 0);
  }
  set(pa: number, v: number): void {
    this.words.set(pa, v | 0);
  }
}

const PD = 0x1000;
const PT = 0x2000;
const LIN = 0x00403abc; // PDE 1, PTE 3

function regs(over: Partial<PagingState> = {}): PagingState {
  return { cr0: CR0_PG | 1, cr3: PD, cr4: CR4_PSE, efer: 0, pdpte: new Int32Array(8), ...over };
}

/** 32-bit tables mapping LIN to frame 0x55 with the given PDE and PTE flags. */
function tables32(pdeFlags: number, pteFlags: number): Tables {
  const t = new Tables();
  t.set(PD + 4 * 1, PT | pdeFlags);
  t.set(PT + 4 * 3, 0x55000 | pteFlags);
  return t;
}

function run(t: Tables, s: PagingState, access: Access, user: boolean, lin = LIN): WalkResult | number {
  const out = new WalkResult();
  return walk(s, t, lin, access, user, out) ? out : out.error;
}

describe('page walker: 32-bit paging', () => {
  test('a 4 KiB page: frame, and A set in the PDE and the PTE; D only on a write', () => {
    const t = tables32(P | RW, P | RW);
    const r = run(t, regs(), Access.READ, false) as WalkResult;
    expect(r.frame).toBe(0x55);
    expect(t.read32(PD + 4)).toBe(PT | P | RW | A);
    expect(t.read32(PT + 12)).toBe(0x55000 | P | RW | A);
    expect(r.perm & TlbPerm.DIRTY).toBe(0);
    run(t, regs(), Access.WRITE, false);
    expect(t.read32(PT + 12)).toBe(0x55000 | P | RW | A | D);
    expect(t.read32(PD + 4) & D).toBe(0); // D is a leaf bit only
  });

  test('not-present entries: P clear in the error code, W/U/I-D from the access', () => {
    const t = new Tables();
    expect(run(t, regs(), Access.READ, false)).toBe(0);
    expect(run(t, regs(), Access.WRITE, false)).toBe(2);
    expect(run(t, regs(), Access.READ, true)).toBe(4);
    expect(run(t, regs(), Access.WRITE, true)).toBe(6);
    expect(run(t, regs(), Access.FETCH, false)).toBe(0); // I/D only with PAE and NXE
    const pt = tables32(P | RW, 0);
    expect(run(pt, regs(), Access.WRITE, false)).toBe(2);
    expect(pt.read32(PD + 4) & A).toBe(A); // the PDE was used
  });

  test('U/S and R/W combine over both levels; CR0.WP decides supervisor writes', () => {
    const cases: [number, number, Access, boolean, number, number | 'ok'][] = [
      // pde, pte, access, user, cr0 extra, expected error or ok
      [P | RW | US, P | RW | US, Access.WRITE, true, 0, 'ok'],
      [P | RW | US, P | US, Access.WRITE, true, 0, 7],
      [P | US, P | RW | US, Access.WRITE, true, 0, 7], // R/W clear in the PDE
      [P | RW, P | RW | US, Access.READ, true, 0, 5], // U/S clear in the PDE
      [P | RW | US, P | RW, Access.READ, true, 0, 5],
      [P | RW | US, P | RW | US, Access.READ, false, 0, 'ok'], // supervisor reads user pages (no SMAP)
      [P | RW | US, P | US, Access.WRITE, false, 0, 'ok'], // WP = 0: supervisor writes anything
      [P | RW | US, P | US, Access.WRITE, false, CR0_WP, 3],
      [P, P | RW, Access.WRITE, false, CR0_WP, 3],
      [P, P, Access.FETCH, true, 0, 5],
      [P | US, P | US, Access.FETCH, true, 0, 'ok'],
    ];
    for (const [pde, pte, access, user, cr0, want] of cases) {
      const t = tables32(pde, pte);
      const r = run(t, regs({ cr0: CR0_PG | 1 | cr0 }), access, user);
      const label = `pde ${pde.toString(16)} pte ${pte.toString(16)} access ${access} user ${user} wp ${cr0 !== 0}`;
      if (want === 'ok') expect(typeof r, label).toBe('object');
      else expect(r, label).toBe(want);
    }
  });

  test('a protection fault sets no A or D in the leaf', () => {
    const t = tables32(P | RW, P);
    expect(run(t, regs({ cr0: CR0_PG | 1 | CR0_WP }), Access.WRITE, false)).toBe(3);
    expect(t.read32(PT + 12)).toBe(0x55000 | P);
  });

  test('4 MiB pages with CR4.PSE: frame from the PDE, A/D in the PDE, bits 21:13 reserved (no PSE-36)', () => {
    const t = new Tables();
    t.set(PD + 4, 0x00400000 | PS | P | RW);
    const r = run(t, regs(), Access.WRITE, false) as WalkResult;
    expect(r.frame).toBe(0x403);
    expect(t.read32(PD + 4)).toBe(0x00400000 | PS | P | RW | A | D);
    expect(r.perm & TlbPerm.LARGE).toBe(TlbPerm.LARGE);
    for (const bit of [13, 16, 20, 21]) {
      const tr = new Tables();
      tr.set(PD + 4, 0x00400000 | (1 << bit) | PS | P | RW);
      expect(run(tr, regs(), Access.READ, false), `bit ${bit}`).toBe(0x9); // RSVD always with P (SDM §4.7)
      expect(tr.ors).toEqual([]);
    }
    // Without CR4.PSE the PS bit is ignored: the PDE points to a page table.
    const np = new Tables();
    np.set(PD + 4, PT | PS | P | RW);
    np.set(PT + 12, 0x77000 | P);
    expect((run(np, regs({ cr4: 0 }), Access.READ, false) as WalkResult).frame).toBe(0x77);
  });

  test('G is reported only with CR4.PGE', () => {
    const t = tables32(P | RW, P | RW | G);
    expect((run(t, regs(), Access.READ, false) as WalkResult).perm & TlbPerm.GLOBAL).toBe(0);
    expect((run(t, regs({ cr4: CR4_PSE | CR4_PGE }), Access.READ, false) as WalkResult).perm & TlbPerm.GLOBAL).toBe(TlbPerm.GLOBAL);
  });
});

describe('page walker: PAE paging', () => {
  const PDPT = 0x3000;
  const PDE = 0x4000;
  const PTE = 0x5000;
  // LIN2: PDPTE 1, PDE 2, PTE 5
  const LIN2 = (1 << 30) | (2 << 21) | (5 << 12) | 0x123;

  function pae(pdeLo: number, pdeHi: number, pteLo: number, pteHi: number): { t: Tables; s: PagingState } {
    const t = new Tables();
    t.set(PDE + 8 * 2, pdeLo);
    t.set(PDE + 8 * 2 + 4, pdeHi);
    t.set(PTE + 8 * 5, pteLo);
    t.set(PTE + 8 * 5 + 4, pteHi);
    const pdpte = new Int32Array(8);
    pdpte[2] = PDE | P;
    return { t, s: regs({ cr3: PDPT, cr4: CR4_PAE, pdpte }) };
  }

  test('a 4 KiB page and a 2 MiB page, frames above 4 GiB returned as they are', () => {
    const { t, s } = pae(PTE | P | RW, 0, 0x66000 | P | RW, 0);
    expect((run(t, s, Access.READ, false, LIN2) as WalkResult).frame).toBe(0x66);
    expect(t.read32(PTE + 40) & A).toBe(A);
    const big = pae(0x00600000 | PS | P | RW, 0, 0, 0);
    expect((run(big.t, big.s, Access.READ, false, LIN2) as WalkResult).frame).toBe(0x605);
    const high = pae(PTE | P | RW, 0, 0x66000 | P | RW, 0x3);
    expect((run(high.t, high.s, Access.READ, false, LIN2) as WalkResult).frame).toBe(0x3 * 0x100000 + 0x66);
  });

  test('execute-disable under EFER.NXE: fetch faults with I/D at either level; reads pass', () => {
    const XD = 1 << 31;
    for (const [pdeHi, pteHi] of [
      [0, XD],
      [XD, 0],
    ]) {
      const { t, s } = pae(PTE | P | RW | US, pdeHi!, 0x66000 | P | RW | US, pteHi!);
      s.efer = EFER_NXE;
      expect(run(t, s, Access.FETCH, false, LIN2)).toBe(0x11);
      expect(run(t, s, Access.FETCH, true, LIN2)).toBe(0x15);
      expect(typeof run(t, s, Access.READ, false, LIN2)).toBe('object');
      // Without NXE bit 63 is reserved.
      s.efer = 0;
      expect(run(t, s, Access.READ, false, LIN2)).toBe(0x9);
      expect(run(t, s, Access.FETCH, false, LIN2)).toBe(0x9); // no I/D without NXE
    }
  });

  test('reserved bits: 62:36 in any entry, 20:13 in a 2 MiB PDE; a not-present PDPTE', () => {
    for (const bit of [36 - 32, 51 - 32, 62 - 32]) {
      const { t, s } = pae(PTE | P | RW, 0, 0x66000 | P, 1 << bit);
      expect(run(t, s, Access.WRITE, false, LIN2), `PTE bit ${bit + 32}`).toBe(0xb);
      const p2 = pae(PTE | P | RW, 1 << bit, 0x66000 | P, 0);
      expect(run(p2.t, p2.s, Access.READ, false, LIN2), `PDE bit ${bit + 32}`).toBe(0x9);
    }
    const big = pae(0x00600000 | (1 << 13) | PS | P | RW, 0, 0, 0);
    expect(run(big.t, big.s, Access.READ, false, LIN2)).toBe(0x9);
    const pat = pae(0x00600000 | (1 << 12) | PS | P | RW, 0, 0, 0); // bit 12 is PAT, not reserved
    expect(typeof run(pat.t, pat.s, Access.READ, false, LIN2)).toBe('object');
    const { t, s } = pae(PTE | P | RW, 0, 0x66000 | P, 0);
    expect(run(t, s, Access.READ, true, 0x123)).toBe(4); // PDPTE 0 is not present
  });
});

describe('TLB flushes (SDM §4.10.4)', () => {
  test('MOV CR3 keeps global entries; INVLPG drops a global one; flushAll drops all', () => {
    const tlb = new Tlb();
    tlb.fill(1, 0x10, TlbPerm.SUP_WRITE | TlbPerm.DIRTY);
    tlb.fill(2, 0x20, TlbPerm.GLOBAL);
    expect(tlb.rd[1]).toBe(0x10 << 12);
    expect(tlb.wr[1]).toBe(0x10 << 12);
    expect(tlb.wr[2]).toBe(TLB_NONE); // not writable
    tlb.flushNonGlobal();
    expect(tlb.rd[1]).toBe(TLB_NONE);
    expect(tlb.rd[2]).toBe(0x20 << 12);
    tlb.invalidatePage(2);
    expect(tlb.perm[2]).toBe(0);
    tlb.fill(3, 0x30, TlbPerm.GLOBAL);
    tlb.flushAll();
    expect(tlb.size()).toBe(0);
  });

  test('a write verdict needs the dirty bit: the first write walks again', () => {
    const tlb = new Tlb();
    tlb.fill(5, 0x50, TlbPerm.SUP_WRITE);
    expect(tlb.rd[5]).toBe(0x50 << 12);
    expect(tlb.wr[5]).toBe(TLB_NONE);
  });

  test('INVLPG anywhere in a large page drops all of its pieces, and only those', () => {
    const tlb = new Tlb();
    tlb.fill(0x400, 0x400, TlbPerm.LARGE);
    tlb.fill(0x7ff, 0x7ff, TlbPerm.LARGE);
    tlb.fill(0x500, 0x900, 0);
    tlb.invalidatePage(0x456);
    expect(tlb.perm[0x400]).toBe(0);
    expect(tlb.perm[0x7ff]).toBe(0);
    expect(tlb.perm[0x500]).not.toBe(0);
  });
});

// ------------------------------------------------------------------ the CPU

const RAM = 4 << 20;
const GDT = 0x1000;
const IDT = 0x2000;
const PF_HANDLER = 0x3000; // HLT
const PGDIR = 0x10000;
const PGTAB = 0x11000; // maps 0..4 MiB
const CODE = 0x20000;
const STACK = 0x9000;

interface Machine {
  cpu: Cpu;
  mem: GuestMemory;
  exits: { reason: number; addr: number; dir: number; p2mType: number }[];
  /** Map linear page `lin` to physical `pa` with `flags` in the single page table. */
  map(lin: number, pa: number, flags: number): void;
}

/** Paging on, identity-mapped 0..4 MiB, #PF (vector 14) handled by a HLT at PF_HANDLER. */
function machine(code: number[], compileThreshold = Infinity): Machine {
  const mem = new GuestMemory(new SharedArrayBuffer(RAM), createP2mBuffer());
  mem.setType(0, RAM >>> 12, P2mType.RAM_RW);
  mem.load(GDT, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0, 0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0]));
  mem.writePhys32(IDT + 14 * 8, (0x08 << 16) | PF_HANDLER);
  mem.writePhys32(IDT + 14 * 8 + 4, 0x8e00);
  mem.writePhys8(PF_HANDLER, 0xf4);
  mem.writePhys32(PGDIR, PGTAB | P | RW);
  for (let i = 0; i < 1024; i++) mem.writePhys32(PGTAB + 4 * i, (i << 12) | P | RW);
  mem.load(CODE, Uint8Array.from(code));
  const exits: Machine['exits'] = [];
  const cpu = new Cpu(mem, (c) => {
    const x = c.exit;
    exits.push({ reason: x.reason, addr: x.addr >>> 0, dir: x.dir, p2mType: x.p2mType });
    if (x.reason === ExitReason.HLT || x.reason === ExitReason.TRIPLE_FAULT) c.requestStop();
    if (x.reason === ExitReason.EPT_VIOLATION) {
      if (x.p2mType === P2mType.RAM_LOGDIRTY && x.dir === IoDir.OUT) {
        c.mem.setType(x.addr >>> 12, 1, P2mType.RAM_RW);
        x.retry = true;
      } else if (x.dir === IoDir.IN) x.value = 0x12345678;
    }
  });
  cpu.compileThreshold = compileThreshold;
  cpu.resetMultiboot(CODE, 0);
  cpu.gdtrBase = GDT;
  cpu.gdtrLimit = 23;
  cpu.idtrBase = IDT;
  cpu.idtrLimit = 256 * 8 - 1;
  cpu.regs[Reg.ESP] = STACK;
  cpu.cr3 = PGDIR;
  cpu.cr0 |= CR0_PG;
  cpu.setPaging(true);
  return {
    cpu,
    mem,
    exits,
    map(lin, pa, flags) {
      mem.writePhys32(PGTAB + 4 * (lin >>> 12), (pa & ~0xfff) | flags);
      cpu.tlb.invalidatePage(lin >>> 12);
    },
  };
}

const HLT = 0xf4;
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
/** mov eax, imm32 */
const movEax = (v: number): number[] => [0xb8, ...le32(v)];
/** mov [abs], eax */
const storeEax = (a: number): number[] => [0xa3, ...le32(a)];
/** mov eax, [abs] */
const loadEax = (a: number): number[] => [0xa1, ...le32(a)];

describe('the CPU with paging on', () => {
  for (const [mode, threshold] of [
    ['interpreted', Infinity],
    ['compiled', 0],
  ] as const) {
    test(`${mode}: a store through a remapped page lands in the mapped frame; a not-present page is #PF with CR2`, () => {
      const m = machine([...movEax(0xcafe), ...storeEax(0x00300010), ...loadEax(0x00301000), HLT], threshold);
      m.map(0x00300000, 0x00200000, P | RW);
      m.map(0x00301000, 0, 0);
      m.cpu.run(1000);
      expect(m.mem.readPhys32(0x00200010)).toBe(0xcafe);
      expect(m.mem.readPhys32(0x00300010)).toBe(0);
      expect(m.cpu.eip).toBe(PF_HANDLER + 1);
      expect(m.cpu.cr2 >>> 0).toBe(0x00301000);
      expect(m.mem.readPhys32(STACK - 16)).toBe(0); // error code: read, not present, supervisor
      expect(m.mem.readPhys32(STACK - 12)).toBe(CODE + 10); // the faulting instruction
      expect(m.cpu.pageFaults).toBe(1);
      expect(m.cpu.pageWalks).toBeGreaterThanOrEqual(3);
    });

    test(`${mode}: a page mapped to frame 0 is read and written through the inline path`, () => {
      // mov eax, [0x00308010]; mov [0x00308020], eax; hlt   with 0x00308000 → guest-physical 0
      const m = machine([...loadEax(0x00308010), ...storeEax(0x00308020), HLT], threshold);
      m.mem.writePhys32(0x10, 0x5eed1234);
      m.map(0x00308000, 0, P | RW | D);
      m.cpu.run(1000);
      expect(m.cpu.regs[Reg.EAX]).toBe(0x5eed1234);
      expect(m.mem.readPhys32(0x20)).toBe(0x5eed1234);
      expect(m.cpu.tlb.rd[0x308]).toBe(0);
    });

    test(`${mode}: a page-crossing store into a not-present page writes nothing`, () => {
      const m = machine([...movEax(0x11223344), ...storeEax(0x00300ffe), HLT], threshold);
      m.map(0x00301000, 0, 0);
      m.cpu.run(1000);
      expect(m.cpu.cr2 >>> 0).toBe(0x00301000);
      expect(m.mem.readPhys32(STACK - 16)).toBe(2);
      expect(m.mem.readPhys8(0x00300ffe)).toBe(0);
      expect(m.mem.readPhys8(0x00300fff)).toBe(0);
    });

    test(`${mode}: MMIO and log-dirty rules apply to the translated frame`, () => {
      // The linear page 0x00380000 maps the physical frame 0x00100000, which is made mmio_dm,
      // and 0x00381000 maps 0x00101000, which is log-dirty.
      const m = machine([...loadEax(0x00380008), ...storeEax(0x00381004), HLT], threshold);
      m.mem.setType(0x100, 1, P2mType.MMIO_DM);
      m.mem.setType(0x101, 1, P2mType.RAM_LOGDIRTY);
      m.map(0x00380000, 0x00100000, P | RW);
      m.map(0x00381000, 0x00101000, P | RW);
      m.cpu.run(1000);
      const ept = m.exits.filter((e) => e.reason === ExitReason.EPT_VIOLATION);
      expect(ept).toEqual([
        { reason: ExitReason.EPT_VIOLATION, addr: 0x00100008, dir: IoDir.IN, p2mType: P2mType.MMIO_DM },
        { reason: ExitReason.EPT_VIOLATION, addr: 0x00101004, dir: IoDir.OUT, p2mType: P2mType.RAM_LOGDIRTY },
      ]);
      expect(m.mem.readPhys32(0x00101004)).toBe(0x12345678);
    });

    test(`${mode}: code rewritten through another mapping of its frame runs anew`, () => {
      // A loop: call the function at 0x00390000 (frame 0x00210000), then rewrite its first
      // instruction through the alias 0x003a0000 and call it again.
      // fn: mov eax, 1; ret          (rewritten to mov eax, 2)
      const fn = [0xb8, ...le32(1), 0xc3];
      const code = [
        0xe8, ...le32(0x00390000 - (CODE + 5)), // call fn
        0x89, 0xc3, // mov ebx, eax
        0xc7, 0x05, ...le32(0x003a0001), ...le32(2), // mov dword [alias+1], 2
        0xe8, ...le32(0x00390000 - (CODE + 22)), // call fn
        HLT,
      ];
      const m = machine(code, threshold);
      m.mem.load(0x00210000, Uint8Array.from(fn));
      m.map(0x00390000, 0x00210000, P);
      m.map(0x003a0000, 0x00210000, P | RW);
      // Run the function once more before, so it is decoded (and compiled) ahead of the rewrite.
      m.cpu.run(1000);
      expect(m.cpu.regs[Reg.EBX]).toBe(1);
      expect(m.cpu.regs[Reg.EAX]).toBe(2);
    });
  }

  test('a page table outside RAM crashes the domain with a report naming it', () => {
    const m = machine([...loadEax(0x00800000), HLT]);
    m.mem.writePhys32(PGDIR + 4 * 2, 0xfeb00000 | P | RW); // PDE 2's table is in the MMIO hole
    m.cpu.run(1000);
    expect(m.cpu.dead).toBe(true);
    expect(m.cpu.crash!.reason).toMatch(/page walk for linear 0x00800000 reads a paging structure at guest-physical 0xfeb00000 \(p2m type invalid\), which is not RAM/);
    expect(m.cpu.crash!.eip).toBe(CODE);
  });

  test('probeWrite raises the #PF a write would raise and writes nothing', () => {
    const m = machine([HLT]);
    m.map(0x00301000, 0, 0);
    m.map(0x00302000, 0x00302000, P); // read-only
    expect(() => m.cpu.probeWrite(0x00300ffc, 8)).toThrow(GuestFault);
    expect(m.mem.readPhys32(0x00300ffc)).toBe(0);
    expect(m.cpu.cr2 >>> 0).toBe(0x00301000);
    m.cpu.cr0 |= CR0_WP;
    m.cpu.flushTlb(false);
    try {
      m.cpu.probeWrite(0x00302ffc, 4);
      expect.unreachable();
    } catch (e) {
      expect(e).toEqual(new GuestFault(14, 3));
    }
    m.cpu.probeWrite(0x00303000, 4096); // all mapped writable
    expect(m.mem.readPhys32(PGTAB + 4 * 0x303) & D).toBe(D); // a probe is a write: D is set, as the processor sets it before the store
    expect(() => m.cpu.probeWrite(0, 0)).toThrow(RangeError);
  });

  test('MOV CR3 under PAE loads the PDPTEs: a reserved bit is #GP(0) and CR3 keeps its value', () => {
    // mov eax, 0x7000; mov cr3, eax; hlt  with the IDT's #GP gate pointing at the HLT too
    const m = machine([...movEax(0x7000), 0x0f, 0x22, 0xd8, HLT]);
    m.mem.writePhys32(IDT + 13 * 8, (0x08 << 16) | PF_HANDLER);
    m.mem.writePhys32(IDT + 13 * 8 + 4, 0x8e00);
    // PAE tables: PDPT at 0x6000, PDPTE 0 → PD at 0x8000 whose PDE 0 maps 0..2 MiB.
    m.mem.writePhys32(0x6000, 0x8000 | P);
    m.mem.writePhys32(0x8000, PS | P | RW);
    m.cpu.cr4 |= CR4_PAE;
    m.cpu.cr3 = 0x6000;
    m.cpu.loadPdptes(0x6000);
    m.cpu.flushTlb(false);
    m.mem.writePhys32(0x7000, 0x8000 | P | (1 << 5)); // bit 5 is reserved in a PAE PDPTE
    m.cpu.run(1000);
    expect(m.cpu.eip).toBe(PF_HANDLER + 1);
    expect(m.cpu.cr3).toBe(0x6000);
    expect(m.mem.readPhys32(STACK - 16)).toBe(0);
    expect(m.mem.readPhys32(STACK - 12)).toBe(CODE + 5); // the MOV CR3
  });

  test('EFER: only NXE is writable; CPUID advertises PSE, PAE, PGE and NX', async () => {
    const { cpuidLeaf } = await import('../hypervisor/cpuid.js');
    const l1 = cpuidLeaf(1, 0, 0, 1);
    expect(l1.edx & ((1 << 3) | (1 << 6) | (1 << 13))).toBe((1 << 3) | (1 << 6) | (1 << 13));
    expect(l1.edx & (1 << 17)).toBe(0); // no PSE-36
    expect(cpuidLeaf(0x80000000, 0, 0, 1).eax).toBe(0x80000001);
    expect(cpuidLeaf(0x80000001, 0, 0, 1).edx).toBe(1 << 20);
    // mov ecx, EFER; mov eax, 0x800; xor edx, edx; wrmsr; rdmsr; mov ebx, eax; mov eax, 0x100; wrmsr
    const m = machine([0xb9, ...le32(0xc0000080), ...movEax(0x800), 0x31, 0xd2, 0x0f, 0x30, 0x0f, 0x32, 0x89, 0xc3, ...movEax(0x100), 0x0f, 0x30, HLT]);
    m.mem.writePhys32(IDT + 13 * 8, (0x08 << 16) | PF_HANDLER);
    m.mem.writePhys32(IDT + 13 * 8 + 4, 0x8e00);
    m.cpu.run(1000);
    expect(m.cpu.regs[Reg.EBX]).toBe(0x800);
    expect(m.cpu.efer).toBe(0x800);
    expect(m.cpu.eip).toBe(PF_HANDLER + 1); // LME (bit 8) is #GP
  });

  test('MOV CR3 keeps global TLB entries; a CR4.PGE change drops them', () => {
    const m = machine([HLT]);
    m.cpu.cr4 |= CR4_PGE;
    m.map(0x00305000, 0x00305000, P | RW | G);
    m.cpu.rd32(0x00305000);
    m.cpu.rd32(0x00306000);
    expect(m.cpu.tlb.perm[0x305]! & TlbPerm.GLOBAL).toBe(TlbPerm.GLOBAL);
    m.cpu.flushTlb(true);
    expect(m.cpu.tlb.perm[0x305]).not.toBe(0);
    expect(m.cpu.tlb.perm[0x306]).toBe(0);
    m.cpu.flushTlb(false);
    expect(m.cpu.tlb.perm[0x305]).toBe(0);
    expect(CR4_PSE).toBe(0x10); // the constants the guests share
  });
});

// ------------------------------------------------------------------ the guests

describe('paging guests in-process', () => {
  // #PF each guest takes when every check holds (guests/paging/paging.c, paging-pae.c):
  // paging: 1 reserved + 17 demand + 2 crossing + 1 WP + 2 not-present PDE + 2 RMW;
  // paging-pae: 2 NX + 3 reserved + 4 demand.
  const FAULTS = { paging: 25, 'paging-pae': 9 } as const;
  for (const name of ['paging', 'paging-pae'] as const) {
    for (const [mode, threshold] of [
      ['interpreted', Infinity],
      ['compiled', 0],
      ['default threshold', undefined],
    ] as const) {
      test(`${name}, ${mode}`, async () => {
        const r = runGuest(guestElf(name), { compileThreshold: threshold });
        expect(r.serial).toBe(await expectedSerial(name));
        expect(r.ended).toBe('debug-exit');
        expect(r.exitCode).toBe(0);
      });
    }
    test(`${name}: the #PF count`, async () => {
      const { loadGuest } = await import('../bench/cpu-bench-guest.js');
      const g = loadGuest(guestElf(name), 0);
      while (g.ended === 'running') g.cpu.run(1_000_000);
      expect(g.cpu.pageFaults).toBe(FAULTS[name]);
      expect(g.cpu.tlbMisses).toBeGreaterThan(0);
      expect(g.cpu.pageWalks).toBeGreaterThanOrEqual(g.cpu.tlbMisses);
    });
  }
});

describe('compute.elf with paging on (4 KiB identity pages, as bench:cpu runs it)', () => {
  const snapshot = (cpu: Cpu): unknown => ({ eip: cpu.eip >>> 0, regs: Array.from(cpu.regs), eflags: cpu.getEflags() >>> 0, n: cpu.instructions });
  /** RAM below the page tables (the top 128 KiB), which only the paging run has. */
  const guestRam = (mem: GuestMemory): Buffer => Buffer.from(mem.ram.subarray(0, mem.ramBytes - (128 << 10)));

  test('interpreted and compiled with paging reach the state of the plain compiled run at each checkpoint', async () => {
    const { loadGuest } = await import('../bench/cpu-bench-guest.js');
    const plain = loadGuest(guestElf('compute'), 0);
    const interp = loadGuest(guestElf('compute'), Infinity, true);
    const compiled = loadGuest(guestElf('compute'), 0, true);
    for (let n = 0; n < 4; n++) {
      for (const g of [plain, interp, compiled]) g.cpu.run(2_500_000);
      expect(snapshot(interp.cpu), `checkpoint ${n}`).toEqual(snapshot(plain.cpu));
      expect(snapshot(compiled.cpu), `checkpoint ${n}`).toEqual(snapshot(plain.cpu));
      expect(guestRam(compiled.mem).equals(guestRam(plain.mem)), `RAM at checkpoint ${n}`).toBe(true);
      expect(guestRam(interp.mem).equals(guestRam(plain.mem)), `RAM at checkpoint ${n}`).toBe(true);
    }
    expect(compiled.cpu.blocks.compiled).toBeGreaterThan(20);
    // Identity 4 KiB pages: one walk per page the guest touched, no faults.
    expect(compiled.cpu.pageFaults).toBe(0);
    expect(compiled.cpu.tlbMisses).toBeGreaterThan(10);
    expect(compiled.cpu.tlbMisses).toBeLessThan(2000);
  });

  test('prints exactly the expected output compiled with paging on', { timeout: 120_000 }, async () => {
    const r = runGuest(guestElf('compute'), { compileThreshold: 0, identityPaging: true });
    expect(r.ended).toBe('debug-exit');
    expect(r.exitCode).toBe(0);
    expect(r.serial).toBe(await expectedSerial('compute'));
  });
});

describe('TLB entries after a #PF', () => {
  test('a faulting access drops the entry for its page (SDM §4.10.4.1); a crash names a PDPTE load', () => {
    const m = machine([HLT]);
    m.map(0x00307000, 0x00307000, P); // read-only
    m.cpu.cr0 |= CR0_WP;
    m.cpu.flushTlb(false);
    m.cpu.rd32(0x00307000);
    expect(m.cpu.tlb.perm[0x307]).not.toBe(0);
    expect(() => m.cpu.wr32(0x00307000, 1)).toThrow(GuestFault);
    expect(m.cpu.tlb.perm[0x307]).toBe(0);
    // The PDPTE load reads from a CR3 in the MMIO hole.
    expect(() => m.cpu.loadPdptes(0xfec00000)).toThrow();
    expect(m.cpu.crash!.reason).toMatch(/the PDPTE load from CR3 0xfec00000 reads a paging structure at guest-physical 0xfec00000/);
  });
});

describe('the native differential cases with paging on (identity 4 KiB pages)', () => {
  test('every case ends exactly as without paging, interpreted and compiled', async () => {
    const { generateCases, baseData } = await import('./support/cpu-cases.js');
    const { InterpreterRunner } = await import('./support/cpu-runner.js');
    const cases = generateCases(0x5eed, 10);
    const outcomes = async (paging: boolean, threshold: number): Promise<string[]> => {
      const saved = Cpu.defaultCompileThreshold;
      Cpu.defaultCompileThreshold = threshold;
      try {
        const r = await InterpreterRunner.create(baseData(), { paging });
        if (typeof r === 'string') throw new Error(r);
        return cases.map((c) => JSON.stringify(r.run(c)));
      } finally {
        Cpu.defaultCompileThreshold = saved;
      }
    };
    for (const threshold of [Infinity, 0]) {
      const plain = await outcomes(false, threshold);
      const paged = await outcomes(true, threshold);
      const diffs = cases.flatMap((c, k) => (plain[k] === paged[k] ? [] : [`${c.form}: plain ${plain[k]}, paged ${paged[k]}`]));
      console.log(`cpu-paging: ${cases.length} native-differential cases with paging on, threshold ${threshold}: ${diffs.length} differences`);
      expect(diffs.slice(0, 10)).toEqual([]);
      expect(plain.filter((o) => o.includes('"problem":"')).length).toBeLessThan(cases.length / 10);
    }
  });
});
