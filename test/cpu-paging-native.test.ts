/**
 * The silicon as the oracle for page faults: test/native/paging-oracle.c (gcc -m32, a Linux
 * process) sets two adjacent pages' protections with mprotect, makes one user-mode access (read,
 * write, read-modify-write, instruction fetch; some crossing from one page into the other) and
 * reports from the SIGSEGV context the vector, the #PF error code and CR2, and which bytes a
 * faulting write changed. Each case is replayed on hvmsim's CPU at CPL 3 with PAE page tables
 * equivalent to what Linux builds for those protections (none: not present; r: present, no R/W;
 * rw: R/W; no exec: XD under EFER.NXE; U/S everywhere), through the real decoder, instruction
 * handlers and access path (for fetches the block cache's lookup). Everything must agree.
 */
import { spawnSync } from 'node:child_process';
import { buildNativeOracle } from './native/build-native.js';
import { describe, expect, it } from 'vitest';
import { FetchFault } from '../hypervisor/cpu/block-cache.js';
import { Cpu } from '../hypervisor/cpu/cpu.js';
import { decodeOne } from '../hypervisor/cpu/decoder.js';
import { GuestFault } from '../hypervisor/cpu/fault.js';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import { CR0_PG, CR0_WP, CR4_PAE, EFER_NXE } from '../hypervisor/cpu/page-walk.js';
import { Reg, Seg } from '../hypervisor/cpu/registers.js';
import { createP2mBuffer, P2mType } from '../shared/p2m.js';


function buildOracle(): { path: string } | { error: string } {
  return buildNativeOracle('paging-oracle');
}

interface Outcome {
  faulted: boolean;
  vector: number;
  error: number;
  cr2: number; // offset from the first page
  changed: number; // bit k: byte offset+k changed
  value: number;
}

interface NativeCase {
  prot0: string;
  prot1: string;
  access: string;
  offset: number;
  native: Outcome;
}

function parse(stdout: string): NativeCase[] {
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const f = line.split(' ');
      if (f[0] !== 'P' || f.length !== 11) throw new Error(`bad paging-oracle line: ${line}`);
      const h = (k: number): number => Number.parseInt(f[k]!, 16) >>> 0;
      return {
        prot0: f[1]!,
        prot1: f[2]!,
        access: f[3]!,
        offset: h(4),
        native: { faulted: f[5] === '1', vector: Number(f[6]), error: h(7), cr2: h(8), changed: h(9), value: h(10) },
      };
    });
}

// ------------------------------------------------------------------ hvmsim's side

const LIN = 0x60000000;
const FRAME0 = 0x100000;
const PDPT = 0x1000;
const PD = 0x2000;
const PT = 0x3000;
const FILL = 0xaa;
const P = 1, RW = 2, US = 4;
const XD_HI = 1 << 31;

/** PTE (low, high) Linux builds for a populated page with these protections. */
function pte(prot: string, frame: number): [number, number] {
  if (prot === 'none') return [0, 0];
  const lo = frame | P | US | (prot.includes('w') ? RW : 0);
  return [lo, prot.includes('x') ? 0 : XD_HI];
}

/** Instruction bytes for each data access: EAX = the address, ECX = the value. */
const DATA_INSNS: Record<string, number[]> = {
  r1: [0x0f, 0xb6, 0x00], // movzx eax, byte [eax]
  r2: [0x0f, 0xb7, 0x00], // movzx eax, word [eax]
  r4: [0x8b, 0x00], // mov eax, [eax]
  w1: [0x88, 0x08], // mov [eax], cl
  w2: [0x66, 0x89, 0x08], // mov [eax], cx
  w4: [0x89, 0x08], // mov [eax], ecx
  rmw4: [0x01, 0x08], // add [eax], ecx
};
const CODE = [0xb8, 0x44, 0x33, 0x22, 0x11, 0xc3]; // what the oracle calls: mov eax, imm32; ret

function hvmsimMachine(): { cpu: Cpu; mem: GuestMemory } {
  const mem = new GuestMemory(new SharedArrayBuffer(4 << 20), createP2mBuffer());
  mem.setType(0, 1024, P2mType.RAM_RW);
  mem.writePhys32(PDPT + 8 * (LIN >>> 30), PD | P);
  mem.writePhys32(PD + 8 * ((LIN >>> 21) & 0x1ff), PT | P | RW | US);
  const cpu = new Cpu(mem, (c) => c.crashWith(`unexpected exit ${c.exit.reason}`));
  cpu.compileThreshold = Infinity;
  cpu.cr0 = 1 | CR0_PG | CR0_WP | 0x10;
  cpu.cr4 = CR4_PAE;
  cpu.efer = EFER_NXE;
  cpu.cr3 = PDPT;
  cpu.loadPdptes(PDPT);
  cpu.setPaging(true);
  cpu.segSel[Seg.CS] = 0x23; // CPL 3, as the Linux process runs
  cpu.privilegeChanged();
  return { cpu, mem };
}

function replay(m: { cpu: Cpu; mem: GuestMemory }, c: NativeCase): Outcome {
  const { cpu, mem } = m;
  const ram = mem.ram;
  ram.fill(FILL, FRAME0, FRAME0 + 0x2000);
  if (c.access === 'x') ram.set(CODE, FRAME0 + c.offset);
  const before = ram.slice(FRAME0 + c.offset, FRAME0 + c.offset + 8);
  for (const [k, prot] of [c.prot0, c.prot1].entries()) {
    const [lo, hi] = pte(prot, FRAME0 + k * 0x1000);
    mem.writePhys32(PT + 8 * (((LIN >>> 12) & 0x1ff) + k), lo);
    mem.writePhys32(PT + 8 * (((LIN >>> 12) & 0x1ff) + k) + 4, hi);
  }
  cpu.flushTlb(false);
  cpu.cr2 = 0;
  const out: Outcome = { faulted: false, vector: 0, error: 0, cr2: 0, changed: 0, value: 0 };
  const lin = LIN + c.offset;
  try {
    if (c.access === 'x') {
      const b = cpu.blocks.lookup(lin);
      out.value = b.insns[0]!.imm >>> 0; // the call would return the MOV's immediate
    } else {
      const bytes = DATA_INSNS[c.access]!;
      const { insn } = decodeOne((a) => bytes[a - 0x1000]!, 0x1000);
      cpu.regs[Reg.EAX] = lin;
      cpu.regs[Reg.ECX] = 0x01020304;
      insn.exec(cpu, insn);
      out.value = c.access.startsWith('r') && c.access !== 'rmw4' ? cpu.regs[Reg.EAX]! >>> 0 : 0;
    }
  } catch (e) {
    const pf = e instanceof FetchFault ? e.pageFault : e instanceof GuestFault && e.vector === 14 ? e.errorCode : -1;
    if (pf < 0) throw e;
    out.faulted = true;
    out.vector = 14;
    out.error = pf;
    out.cr2 = ((cpu.cr2 >>> 0) - LIN) >>> 0;
  }
  for (let k = 0; k < 8; k++) if (ram[FRAME0 + c.offset + k] !== before[k]) out.changed |= 1 << k;
  return out;
}

const oracle = buildOracle();
const nativeError = 'error' in oracle ? oracle.error : undefined;
if (nativeError) console.warn(`cpu-paging-native: SKIPPED, the paging oracle cannot be built: ${nativeError}`);

describe.skipIf(nativeError !== undefined)('page faults: hvmsim against the host processor', () => {
  it('every case agrees: whether it faults, error code, CR2, bytes written, value read', () => {
    const r = spawnSync((oracle as { path: string }).path, [], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status, r.stderr).toBe(0);
    const cases = parse(r.stdout);
    const m = hvmsimMachine();
    const mismatches: string[] = [];
    const counts = { faults: 0, writes: 0, crossing: 0, fetches: 0 };
    const errors = new Map<number, number>();
    for (const c of cases) {
      const got = replay(m, c);
      if (c.native.faulted) {
        counts.faults++;
        errors.set(c.native.error, (errors.get(c.native.error) ?? 0) + 1);
      }
      if (c.access.startsWith('w') || c.access === 'rmw4') counts.writes++;
      if (c.access === 'x') counts.fetches++;
      const size = c.access === 'x' ? 6 : Number(c.access.at(-1));
      if ((c.offset & 0xfff) + size > 0x1000 && c.offset < 0x1000) counts.crossing++;
      const want = c.native;
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches.push(`${c.prot0}/${c.prot1} ${c.access} at +${c.offset.toString(16)}: native ${JSON.stringify(want)}, hvmsim ${JSON.stringify(got)}`);
      }
    }
    const codes = [...errors].sort((a, b) => a[0] - b[0]).map(([e, n]) => `0x${e.toString(16)}: ${n}`).join(', ');
    console.log(
      `cpu-paging-native: ${cases.length} cases (${counts.faults} page faults, ${counts.writes} writes, ${counts.fetches} fetches, ${counts.crossing} crossing a page boundary); error codes seen ${codes}; ${mismatches.length} mismatches`,
    );
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(cases.length).toBe(1000);
    expect(counts.faults).toBeGreaterThan(300);
  });
});
