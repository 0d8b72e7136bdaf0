/**
 * The p2m rules apply to the translated frame (issue 11): the same LFB accesses (REP STOSD, a
 * store split at a page boundary, a read-modify-write, a load) made through a paging alias of
 * the frame buffer behave exactly as the same accesses to its guest-physical address with
 * paging off, in every VGA mode: the same exits by reason, the same ioreqs (addresses are
 * guest-physical), the same VRAM contents and dirty pages. Runs through the real path (exit
 * table, the vCPU's handlers, a device-model worker) with the VcpuHarness, interpreted and
 * compiled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { P2mType } from '../shared/p2m.js';
import type { VgaMode } from '../shared/vga-config.js';
import { VcpuHarness, type RecordedIoreq } from './support/vcpu-harness.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const ALIAS = 0x40000000; // the LFB's linear alias with paging on
const PD = 0x300000;
const PT_LOW = 0x301000; // identity 0..4 MiB
const PT_LFB = 0x302000; // ALIAS.. → the LFB's first 4 MiB

/** The accesses, to the frame buffer at `base`. */
function code(base: number): number[] {
  return [
    0xbf, ...le32(base + 0x10), // mov edi, base+0x10
    0xb8, ...le32(0x11223344), // mov eax, 0x11223344
    0xb9, ...le32(64), // mov ecx, 64
    0xf3, 0xab, // rep stosd
    0xa3, ...le32(base + 0x1ffe), // mov [base+0x1ffe], eax (split at the page boundary)
    0x01, 0x05, ...le32(base + 0x2000), // add [base+0x2000], eax
    0x8b, 0x1d, ...le32(base + 0x3000), // mov ebx, [base+0x3000]
    0xf4, // hlt
  ];
}

interface Observed {
  exits: Record<string, number>;
  ioreqs: RecordedIoreq[];
  vram: string;
  ebx: number;
}

let harness: VcpuHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function observe(mode: VgaMode, paging: boolean, compileThreshold: number): Promise<Observed> {
  const h = await VcpuHarness.start({ vga: mode, compileThreshold, code: (config) => code(paging ? ALIAS : config.vga.lfbAddress) });
  harness = h;
  const lfb = h.config.vga.lfbAddress;
  const vram = new DataView(h.config.vga.vram);
  vram.setUint32(0x3000, 0xfeedf00d, true);
  vram.setUint32(0x2000, 0x01010101, true);
  // shared-dirty: the frames as a refresh leaves them, clean and log-dirty (docs/architecture.md §6).
  if (mode === 'shared-dirty') h.vcpu.cpu.mem.setType(lfb >>> 12, 4, P2mType.RAM_LOGDIRTY);
  if (paging) {
    const ram = new DataView(h.config.ram);
    ram.setUint32(PD, PT_LOW | 3, true);
    ram.setUint32(PD + 4 * (ALIAS >>> 22), PT_LFB | 3, true);
    for (let i = 0; i < 1024; i++) {
      ram.setUint32(PT_LOW + 4 * i, (i << 12) | 3, true);
      ram.setUint32(PT_LFB + 4 * i, (lfb + (i << 12)) | 3, true);
    }
    const cpu = h.vcpu.cpu;
    cpu.cr3 = PD;
    cpu.cr0 |= 1 << 31;
    cpu.setPaging(true);
  }
  h.run();
  const exits: Record<string, number> = {};
  for (const name of ['exit_mmio', 'exit_logdirty', 'exit_io', 'ioreq_sync', 'ioreq_buffered', 'ioreq_exits'] as const) exits[name] = h.counter(name);
  const bytes = new Uint8Array(h.config.vga.vram, 0, 0x4000);
  const out: Observed = {
    exits,
    ioreqs: h.ioreqs.map((r) => ({ ...r, addr: r.addr - lfb })),
    vram: Buffer.from(bytes).toString('hex'),
    ebx: h.vcpu.cpu.regs[3]! >>> 0,
  };
  if (paging) expect(h.vcpu.cpu.tlbMisses).toBeGreaterThan(0);
  await h.stop();
  harness = undefined;
  return out;
}

describe.each([
  ['interpreted', Infinity],
  ['compiled', 0],
])('LFB accesses through paging (%s)', (_, threshold) => {
  for (const mode of ['trap', 'buffered', 'shared', 'shared-dirty'] as const) {
    it(`${mode}: the same exits, ioreqs and VRAM as without paging`, async () => {
      const plain = await observe(mode, false, threshold);
      const paged = await observe(mode, true, threshold);
      expect(paged).toEqual(plain);
      expect(plain.ebx).toBe(0xfeedf00d);
      if (mode === 'trap') expect(plain.exits.exit_mmio).toBe(4); // STOS chunk, split store, RMW, load
      if (mode === 'shared') expect(plain.exits.exit_mmio).toBe(0);
      if (mode === 'shared-dirty') expect(plain.exits.exit_logdirty).toBe(3); // the first write to each of pages 0, 1, 2
    });
  }
});
