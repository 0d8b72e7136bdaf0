/**
 * The track_dirty_vram race, forced through the real path: a real vCPU (hypervisor/vcpu.ts in a
 * worker, its Cpu storing to a log-dirty VRAM frame, MmioHandler marking it) is held between
 * reading the frame's p2m type (writable, after its first store marked the page) and its second
 * store; meanwhile the device model's display refresh fetches and clears the bitmap,
 * re-protects the page and draws from VRAM. Then the store lands. Without the flush, the store
 * lands unmarked on a protected page and is never drawn; with it, the refresh either waits for
 * the vCPU to pass (the store is drawn at once) or gives up and draws the page again once a
 * flush completes. Either way the surface ends equal to VRAM.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { TrackDirtyVramScan } from '../device-model/devices/vga/dirty-scan.js';
import { VgaDisplay } from '../device-model/devices/vga/display.js';
import { VbeDispi } from '../device-model/devices/vga/vbe-dispi.js';
import { VgaRegisters } from '../device-model/devices/vga/vga-registers.js';
import { Vram } from '../device-model/devices/vga/vram.js';
import type { DomainConfig } from '../shared/domain-config.js';
import { DomainControl, REQ_DESTROY } from '../shared/domain-control.js';
import { attachDomainSharedMemory } from '../shared/domain-layout.js';
import { domainFlushTargets, FLUSH_WAIT_MS } from '../shared/p2m-flush.js';
import { P2mType, PAGE_SHIFT } from '../shared/p2m.js';
import { DM_COUNTERS, DM_COUNTER_INDEX, VCPU_COUNTER_INDEX, vcpuCounters } from '../shared/run-stats.js';
import { STD_VGA_BDF, VRAM_BYTES } from '../shared/vga-config.js';
import { assignPciBars, buildDomain } from '../toolstack/domain-builder.js';
import { parseGuestImage } from '../toolstack/elf-loader.js';
import { tinyGuestElf } from './support/tiny-guest.js';

const WORKER = new URL('./fixtures/vga-race-vcpu-worker.mjs', import.meta.url);
const PAGE = 7; // the VRAM page the race is on: line 7 of 1024x768x32
const FIRST = 0x00112233;
const RACED = 0x00abcdef;
/** A flush that waits this long sees the vCPU pass unless the machine starves it for that long. */
const PATIENT_MS = 2000;
// ctl words (the fixture's header)
const HELD = 0;
const RELEASE = 1;
const RELEASE_ON_KICK = 2;

/** mov dword [addr], imm32 */
const movStore = (addr: number, imm: number): number[] => [0xc7, 0x05, ...le32(addr), ...le32(imm)];
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** First store marks the page (one log-dirty exit), the second is the one held; then spin. */
function raceGuest(lfb: number): number[] {
  const at = lfb + PAGE * 4096;
  return [...movStore(at, FIRST), ...movStore(at + 4, RACED), 0xeb, 0xfe];
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

interface Rig {
  config: DomainConfig;
  display: VgaDisplay;
  dmCounters: Float64Array;
  scan: TrackDirtyVramScan;
  vram: Vram;
  /** Whether the surface shows the pixel VRAM holds at byte `offset` (32 bpp, 1024 wide). */
  shows(offset: number): boolean;
}

/**
 * The device model's side of the race: the real display and track_dirty_vram scan, 1024x768x32;
 * `flushWaitMs`: how long the scan's flush may wait for the vCPU.
 */
function deviceModel(config: DomainConfig, flushWaitMs: number): Rig {
  const vram = new Vram(config.vga.vram);
  const regs = new VgaRegisters();
  const vbe = new VbeDispi(vram, regs);
  const attached = attachDomainSharedMemory(config.io);
  const vcpus = domainFlushTargets(new DomainControl(config.control, config.vcpus), attached.ioreq, attached.irqLines);
  const scan = new TrackDirtyVramScan(config.vga.dirtyVram, new Uint8Array(config.p2m), config.vga.lfbAddress >>> PAGE_SHIFT, vcpus, flushWaitMs);
  const dmCounters = new Float64Array(DM_COUNTERS.length);
  const display = new VgaDisplay({ vram, regs, vbe, scan, counters: dmCounters });
  vbe.writeRegister(1, 1024);
  vbe.writeRegister(2, 768);
  vbe.writeRegister(3, 32);
  vbe.writeRegister(4, 0x41); // enabled, linear frame buffer
  const shows = (offset: number): boolean => {
    const v = vram.bytes;
    const px = display.surface.pixels[offset >>> 2]!;
    return px === (0xff000000 | (v[offset]! << 16) | (v[offset + 1]! << 8) | v[offset + 2]!) >>> 0;
  };
  return { config, display, scan, vram, shows, dmCounters };
}

let worker: Worker | undefined;
let stopWorker: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stopWorker?.();
  worker = undefined;
  stopWorker = undefined;
});

/**
 * Start the racing vCPU `vcpu` of a fresh shared-dirty domain, after the display's first
 * refresh has write-protected what it shows, and return once its second store is held.
 */
async function startRace(o: { vcpus: number; vcpu: number; releaseOnKick: boolean; flushWaitMs: number }): Promise<{ rig: Rig; ctl: Int32Array; counters: Float64Array }> {
  const [lfb] = assignPciBars([{ bdf: STD_VGA_BDF, bar: 0, size: VRAM_BYTES }]);
  const code = tinyGuestElf(raceGuest(lfb!.address));
  const config = buildDomain(parseGuestImage(code), { domid: 1, name: 'race', memoryMiB: 4, vcpus: o.vcpus, vga: 'shared-dirty' });
  expect(config.vga.lfbAddress).toBe(lfb!.address);
  const rig = deviceModel(config, o.flushWaitMs);
  const lfbPfn = config.vga.lfbAddress >>> PAGE_SHIFT;
  rig.display.refresh(); // first refresh: the whole picture is dirty and becomes log-dirty
  expect(new Uint8Array(config.p2m)[lfbPfn + PAGE]).toBe(P2mType.RAM_LOGDIRTY);

  const ctl = new Int32Array(new SharedArrayBuffer(16));
  ctl[RELEASE_ON_KICK] = o.releaseOnKick ? 1 : 0;
  const entry = parseGuestImage(code).entry;
  const start = o.vcpu === 0 ? undefined : { eip: entry, esp: 0x80000 };
  const w = new Worker(WORKER, { workerData: { config, vcpu: o.vcpu, start, frame: lfbPfn + PAGE, holdAt: 2, ctl: ctl.buffer } });
  worker = w;
  let failure: Error | undefined;
  let finished = false;
  w.on('error', (e) => (failure = e));
  w.on('exit', () => (finished = true));
  const control = new DomainControl(config.control, config.vcpus);
  const attached = attachDomainSharedMemory(config.io);
  stopWorker = async () => {
    Atomics.store(ctl, RELEASE, 1);
    control.setRequest(REQ_DESTROY, true);
    attached.irqLines.kick(o.vcpu);
    await until('the vCPU worker ends', () => finished);
  };
  await until('the vCPU holds its second store', () => Atomics.load(ctl, HELD) === 1 || failure !== undefined);
  if (failure) throw failure;
  return { rig, ctl, counters: vcpuCounters(config.stats, o.vcpu) };
}

describe('track_dirty_vram and a vCPU between its p2m read and its store', () => {
  const offset = PAGE * 4096 + 4;

  it.each([
    ['vCPU 0 of 1', 1, 0],
    ['vCPU 1 of 2 (vCPU 0 never started)', 2, 1],
  ])('the refresh waits for the store (%s): the flush interrupts the vCPU, which lets go of the store, then passes', async (_name, vcpus, vcpu) => {
    const { rig, ctl, counters } = await startRace({ vcpus, vcpu, releaseOnKick: true, flushWaitMs: PATIENT_MS });
    expect(counters[VCPU_COUNTER_INDEX.exit_logdirty]).toBe(1); // the first store's exit marked the page
    rig.display.refresh(); // collects page 7, re-protects it, flushes: the held store is let go by the kick
    const drawnAtOnce = rig.vram.view.getUint32(offset, true) === RACED && rig.shows(offset);
    Atomics.store(ctl, RELEASE, 1); // (without a flush, nothing let it go: it lands only now)
    await until('the store is in VRAM', () => rig.vram.view.getUint32(offset, true) === RACED);
    rig.display.refresh();
    expect(rig.shows(offset)).toBe(true);
    expect(rig.shows(PAGE * 4096)).toBe(true);
    const stats = rig.scan.flushStats;
    expect(stats.kicks).toBeGreaterThanOrEqual(1);
    // The refresh waited for the vCPU to pass, so it drew the store itself (unless the machine
    // kept the vCPU off its core for longer than the flush's patience).
    if (stats.timeouts === 0) expect(drawnAtOnce).toBe(true);
    // The vCPU runs on: kicks are taken (a secondary vCPU's too), not re-raised at every block.
    const exits = counters[VCPU_COUNTER_INDEX.exit_external_interrupt]!;
    await new Promise((r) => setTimeout(r, 50));
    expect(counters[VCPU_COUNTER_INDEX.exit_external_interrupt]! - exits).toBeLessThanOrEqual(2);
  });

  it('a refresh that gives up waiting holds the page back until the vCPU has passed', async () => {
    const { rig, ctl } = await startRace({ vcpus: 1, vcpu: 0, releaseOnKick: false, flushWaitMs: FLUSH_WAIT_MS });
    rig.display.refresh(); // the vCPU stays held: the flush gives up, and page 7 is not drawn yet
    expect(rig.vram.view.getUint32(offset, true)).toBe(0);
    const heldBack = !rig.shows(PAGE * 4096); // the first store is in VRAM, not yet on the surface
    Atomics.store(ctl, RELEASE, 1);
    await until('the store is in VRAM', () => rig.vram.view.getUint32(offset, true) === RACED);
    // The store landed unmarked (the vCPU's view was the old, writable one), on a protected page.
    expect(new Uint8Array(rig.config.p2m)[(rig.config.vga.lfbAddress >>> PAGE_SHIFT) + PAGE]).toBe(P2mType.RAM_LOGDIRTY);
    // No new bit, but the held page is reported once the vCPU has passed the flush that gave up
    // (it does on its way back into guest code) or a later one completes: at the next refresh,
    // unless the machine keeps the vCPU off its core until then (so refresh as the display does,
    // a few milliseconds apart, until one completes or the page is drawn).
    for (let tries = 0; ; tries++) {
      const gaveUp = rig.scan.flushStats.timeouts;
      rig.display.refresh();
      if (rig.shows(offset) || rig.scan.flushStats.timeouts === gaveUp || tries === 500) break;
      await new Promise((r) => setTimeout(r, 4));
    }
    expect(rig.shows(offset)).toBe(true);
    expect(rig.shows(PAGE * 4096)).toBe(true);
    expect(heldBack).toBe(true);
    expect(rig.scan.flushStats.timeouts).toBeGreaterThanOrEqual(1);
    // The display counts what the flushes did, for --stats and the benchmarks.
    expect(rig.dmCounters[DM_COUNTER_INDEX.vram_flush_timeouts]).toBe(rig.scan.flushStats.timeouts);
    expect(rig.dmCounters[DM_COUNTER_INDEX.vram_flush_kicks]).toBe(rig.scan.flushStats.kicks);
  });
});
