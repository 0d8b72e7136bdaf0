/**
 * MMIO counted as Xen counts it, through the real path (Cpu, exit table, the vCPU's handlers,
 * its ioreq client, a device-model worker): an instruction that touches emulated memory twice
 * is ONE EPT violation that issues every access (a read-modify-write: a read ioreq and a write
 * ioreq), and an access crossing a page boundary is split as Xen's emulator splits it, one part
 * per page in power-of-two chunks, not byte by byte. REP MOVS/STOS stay one exit per chunk.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IOREQ_TYPE_COPY } from '../shared/ioreq.js';
import { VGA_WINDOW_BASE } from '../shared/vga-config.js';
import { VcpuHarness, type RecordedIoreq } from './support/vcpu-harness.js';

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const HLT = 0xf4;
const movEax = (v: number): number[] => [0xb8, ...le32(v)];

let harness: VcpuHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

/** Run `code(lfb)` to its HLT, interpreted or with every block compiled. */
async function run(code: (lfb: number) => number[], compileThreshold = Infinity, vram?: (v: DataView) => void): Promise<VcpuHarness> {
  harness = await VcpuHarness.start({ vga: 'trap', compileThreshold, code: (config) => [...code(config.vga.lfbAddress), HLT] });
  if (vram) vram(new DataView(harness.config.vga.vram));
  harness.run();
  expect(harness.vcpu.cpu.eip).toBe(harness.config.boot.eip + code(harness.config.vga.lfbAddress).length + 1); // stopped at the HLT
  return harness;
}

const access = (lfb: number, kind: RecordedIoreq['kind'], dir: RecordedIoreq['dir'], off: number, size: number, count = 1): RecordedIoreq => ({
  kind,
  type: IOREQ_TYPE_COPY,
  addr: lfb + off,
  size,
  count,
  dir,
  dataIsPtr: false,
});

describe.each([
  ['interpreted', Infinity],
  ['compiled', 0],
])('MMIO exits (%s)', (_, threshold) => {
  it('a read-modify-write on MMIO is one exit with a read and a write ioreq', async () => {
    const h = await run((lfb) => [...movEax(5), 0x01, 0x05, ...le32(lfb + 0x10)], threshold, (v) => v.setUint32(0x10, 0x11111111, true)); // add [lfb+0x10], eax
    const lfb = h.config.vga.lfbAddress;
    expect(h.counter('exit_mmio')).toBe(1);
    expect(h.counter('ioreq_exits')).toBe(1);
    expect(h.ioreqs).toEqual([access(lfb, 'sync', 'read', 0x10, 4), access(lfb, 'sync', 'write', 0x10, 4)]);
    expect(new DataView(h.config.vga.vram).getUint32(0x10, true)).toBe(0x11111116);
  });

  it('the same RMW instruction run three times in a loop is three exits, six ioreqs', async () => {
    // mov ecx, 3; l: inc dword [lfb]; dec ecx; jnz l
    const h = await run((lfb) => [0xb9, ...le32(3), 0xff, 0x05, ...le32(lfb), 0x49, 0x75, 0xf7], threshold);
    expect(h.counter('exit_mmio')).toBe(3);
    expect(h.counter('ioreq_exits')).toBe(3);
    expect(h.ioreqs.map((r) => r.dir)).toEqual(['read', 'write', 'read', 'write', 'read', 'write']);
    expect(new DataView(h.config.vga.vram).getUint32(0, true)).toBe(3);
  });

  it('a 4-byte read at page offset 0xffe is one exit of two 2-byte ioreqs, one per page', async () => {
    const h = await run((lfb) => [0xa1, ...le32(lfb + 0xffe)], threshold, (v) => v.setUint32(0xffe, 0xa1b2c3d4, true)); // mov eax, [lfb+0xffe]
    const lfb = h.config.vga.lfbAddress;
    expect(h.counter('exit_mmio')).toBe(1);
    expect(h.ioreqs).toEqual([access(lfb, 'sync', 'read', 0xffe, 2), access(lfb, 'sync', 'read', 0x1000, 2)]);
    expect(h.vcpu.cpu.regs[0]! >>> 0).toBe(0xa1b2c3d4);
  });

  it('an RMW at page offset 0xffd splits each access 2 + 1 | 1, still one exit', async () => {
    const h = await run((lfb) => [...movEax(0x01010101), 0x01, 0x05, ...le32(lfb + 0xffd)], threshold, (v) => v.setUint32(0xffd, 0x10203040, true));
    const lfb = h.config.vga.lfbAddress;
    expect(h.counter('exit_mmio')).toBe(1);
    expect(h.counter('ioreq_exits')).toBe(1);
    expect(h.ioreqs).toEqual([
      access(lfb, 'sync', 'read', 0xffd, 2),
      access(lfb, 'sync', 'read', 0xfff, 1),
      access(lfb, 'sync', 'read', 0x1000, 1),
      access(lfb, 'sync', 'write', 0xffd, 2),
      access(lfb, 'sync', 'write', 0xfff, 1),
      access(lfb, 'sync', 'write', 0x1000, 1),
    ]);
    expect(new DataView(h.config.vga.vram).getUint32(0xffd, true)).toBe(0x11213141);
  });

  it('REP STOSD to MMIO stays one exit and one ioreq per chunk', async () => {
    // mov edi, lfb; mov ecx, 16; mov eax, 7; rep stosd
    const h = await run((lfb) => [0xbf, ...le32(lfb), 0xb9, ...le32(16), ...movEax(7), 0xf3, 0xab], threshold);
    const lfb = h.config.vga.lfbAddress;
    expect(h.counter('exit_mmio')).toBe(1);
    expect(h.ioreqs).toEqual([access(lfb, 'sync', 'write', 0, 4, 16)]);
  });

  it('an RMW on the legacy VGA window reads synchronously and posts its write: one exit', async () => {
    const h = await run(() => [0xb0, 0x21, 0x08, 0x05, ...le32(VGA_WINDOW_BASE + 0x40)], threshold); // mov al, 0x21; or [0xa0040], al
    expect(h.counter('exit_mmio')).toBe(1);
    expect(h.counter('ioreq_exits')).toBe(1);
    expect(h.ioreqs).toEqual([access(VGA_WINDOW_BASE, 'sync', 'read', 0x40, 1), access(VGA_WINDOW_BASE, 'buffered', 'write', 0x40, 1)]);
  });
});
