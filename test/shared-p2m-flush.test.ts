/**
 * The p2m flush handshake (shared/p2m-flush.ts) and how track_dirty_vram uses it
 * (shared/dirty-vram.ts): who counts as parked, when a flush kicks and what it waits for, when
 * no flush is needed at all, and how pages are carried past a flush that gave up.
 */
import { describe, expect, it } from 'vitest';
import { GuestMemory } from '../hypervisor/cpu/guest-memory.js';
import { createDirtyVramBuffer, DirtyVram } from '../shared/dirty-vram.js';
import { createDomainControlBuffer, DomainControl, RunState } from '../shared/domain-control.js';
import { attachDomainSharedMemory, createDomainSharedMemory, createIoreqServerPorts } from '../shared/domain-layout.js';
import { IoreqRecord, IOREQ_READ, IOREQ_TYPE_PIO } from '../shared/ioreq.js';
import { domainFlushTargets, FlushPoint, NO_VCPUS, P2M_FLUSH_WORDS, P2mFlush, type FlushTargets } from '../shared/p2m-flush.js';
import { createP2mBuffer, P2mType } from '../shared/p2m.js';

const MiB = 1 << 20;

/** vCPUs scripted by the test: each is parked or not, and passes (or not) when interrupted. */
function scripted(n: number, points: FlushPoint[], o: { parked?: (v: number) => boolean; passOnKick?: boolean } = {}): FlushTargets & { kicked: number[] } {
  const kicked: number[] = [];
  return {
    vcpus: n,
    kicked,
    parked: o.parked ?? (() => false),
    interrupt(v) {
      kicked.push(v);
      if (o.passOnKick ?? true) points[v]!.pass();
    },
  };
}

describe('P2mFlush', () => {
  const area = () => new Int32Array(new SharedArrayBuffer(P2M_FLUSH_WORDS * 4));

  it('parked vCPUs are not kicked or waited for', () => {
    const a = area();
    const flush = new P2mFlush(a);
    expect(flush.flush(NO_VCPUS)).toBe(true);
    const t = scripted(3, [], { parked: () => true });
    expect(flush.flush(t)).toBe(true);
    expect(t.kicked).toEqual([]);
    expect(flush.stats).toEqual({ flushes: 2, kicks: 0, timeouts: 0 });
  });

  it('kicks each running vCPU and returns once all have passed', () => {
    const a = area();
    const flush = new P2mFlush(a);
    const points = [new FlushPoint(a, 0), new FlushPoint(a, 1), new FlushPoint(a, 2)];
    const t = scripted(3, points, { parked: (v) => v === 1 });
    expect(flush.flush(t)).toBe(true);
    expect(t.kicked).toEqual([0, 2]);
    // A vCPU that passed already is not kicked for the same flush... but is for the next one.
    points[0]!.pass();
    expect(flush.flush(t)).toBe(true);
    expect(t.kicked).toEqual([0, 2, 0, 2]);
    expect(flush.stats.timeouts).toBe(0);
  });

  it('gives up after the timeout when a vCPU neither passes nor parks, and a later pass completes the next flush', () => {
    const a = area();
    const flush = new P2mFlush(a);
    const point = new FlushPoint(a, 0);
    const stuck = scripted(1, [point], { passOnKick: false });
    const t0 = performance.now();
    expect(flush.flush(stuck, 5)).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(5);
    expect(flush.stats).toEqual({ flushes: 1, kicks: 1, timeouts: 1 });
    point.pass();
    expect(flush.flush(scripted(1, [point]))).toBe(true);
  });

  it('stops waiting for a vCPU that parks meanwhile (HLT, an ioreq) without passing', () => {
    const a = area();
    const flush = new P2mFlush(a);
    let looks = 0;
    const t = scripted(1, [new FlushPoint(a, 0)], { passOnKick: false, parked: () => ++looks > 3 });
    expect(flush.flush(t, 1000)).toBe(true);
    expect(flush.stats.timeouts).toBe(0);
  });

  it('refuses a short area and a bad vCPU', () => {
    expect(() => new P2mFlush(new Int32Array(4))).toThrow(RangeError);
    expect(() => new FlushPoint(new Int32Array(P2M_FLUSH_WORDS), 99)).toThrow(/bad vCPU/);
  });
});

describe('domainFlushTargets', () => {
  function domain(vcpus: number) {
    const memory = createDomainSharedMemory(1, vcpus);
    const attached = attachDomainSharedMemory(memory);
    createIoreqServerPorts(attached);
    const control = new DomainControl(createDomainControlBuffer(vcpus), vcpus);
    return { attached, control, targets: domainFlushTargets(control, attached.ioreq, attached.irqLines) };
  }

  it('counts a vCPU outside guest code as parked, a running one as not', () => {
    const { control, targets } = domain(1);
    expect(targets.vcpus).toBe(1);
    const cases: [RunState, boolean][] = [
      [RunState.STARTING, true],
      [RunState.RUNNING, false],
      [RunState.BLOCKED_IO, false], // its request may already be answered: it is about to run on
      [RunState.HALTED, true],
      [RunState.PAUSED, true],
      [RunState.DOWN, true],
      [RunState.DEAD, true],
      [RunState.SHUTDOWN, true],
    ];
    for (const [state, parked] of cases) {
      control.setState(0, state);
      expect([state, targets.parked(0)]).toEqual([state, parked]);
    }
  });

  it('counts a running vCPU whose request waits in its slot as parked, until it is answered', () => {
    const { attached, control, targets } = domain(2);
    control.setState(0, RunState.RUNNING);
    control.setState(1, RunState.RUNNING);
    const req = new IoreqRecord();
    req.type = IOREQ_TYPE_PIO;
    req.addrLow = 0x3da;
    req.size = 1;
    req.count = 1;
    req.dir = IOREQ_READ;
    attached.ioreq.publish(1, req);
    expect([targets.parked(0), targets.parked(1)]).toEqual([false, true]);
    expect(attached.ioreq.claim(1)).toBe(true); // INPROCESS: still waiting for this thread
    expect(targets.parked(1)).toBe(true);
    attached.ioreq.respond(1, 0, 0);
    expect(targets.parked(1)).toBe(false);
  });

  it('interrupts a vCPU with its kick', () => {
    const { attached, targets } = domain(2);
    targets.interrupt(1);
    expect([attached.irqLines.kickPending(0), attached.irqLines.kickPending(1)]).toEqual([false, true]);
  });
});

describe('track_dirty_vram with the flush', () => {
  const LFB_PFN = 0xf0000;
  const PAGES = 64;

  function setup() {
    const buffer = createDirtyVramBuffer(16 * MiB);
    const dm = new DirtyVram(buffer);
    const vcpu = new DirtyVram(buffer);
    const point = vcpu.flushPoint(0);
    const p2m = new Uint8Array(createP2mBuffer());
    p2m.fill(P2mType.MMIO_DIRECT, LFB_PFN, LFB_PFN + 4096);
    const out = new Uint8Array(PAGES / 8);
    const pages = (): number[] => [...Array(PAGES).keys()].filter((i) => out[i >>> 3]! & (1 << (i & 7)));
    /** The vCPU's first write to page i: writable, then the bit (MmioHandler.markDirty). */
    const write = (i: number) => {
      p2m[LFB_PFN + i] = P2mType.MMIO_DIRECT;
      vcpu.mark(LFB_PFN + i);
    };
    let passes = true;
    const running: FlushTargets = {
      vcpus: 1,
      parked: () => false,
      interrupt: () => {
        if (passes) point.pass();
      },
    };
    const track = (nr = PAGES) => dm.track(p2m, LFB_PFN, nr, out, running);
    return { dm, p2m, point, pages, write, track, pfn: (i: number) => LFB_PFN + i, setPasses: (p: boolean) => (passes = p) };
  }

  it('flushes after re-protecting, and not at all when nothing lost write access', () => {
    const s = setup();
    expect(s.track()).toBe(PAGES); // a new range: all dirty, all protected, one flush
    expect(s.dm.flushStats).toMatchObject({ flushes: 1, kicks: 1 });
    expect(s.track()).toBe(0);
    expect(s.dm.flushStats.flushes).toBe(1); // an idle display costs the vCPUs nothing
    s.write(5);
    expect(s.track()).toBe(1);
    expect(s.pages()).toEqual([5]);
    expect(s.p2m[LFB_PFN + 5]).toBe(P2mType.RAM_LOGDIRTY);
    expect(s.dm.flushStats).toMatchObject({ flushes: 2, kicks: 2, timeouts: 0 });
    expect(s.dm.track(s.p2m, 0, 0, new Uint8Array(8), NO_VCPUS)).toBe(0); // stop: writable again, no flush
    expect(s.p2m[LFB_PFN + 5]).toBe(P2mType.MMIO_DIRECT);
    expect(s.dm.flushStats.flushes).toBe(2);
  });

  it('holds back the pages of a flush that gave up until a flush completes', () => {
    const s = setup();
    s.track();
    s.setPasses(false);
    s.write(3);
    s.write(40);
    expect(s.track()).toBe(0); // a vCPU may still write them unmarked: not read yet
    expect(s.p2m[s.pfn(3)]).toBe(P2mType.RAM_LOGDIRTY);
    expect(s.dm.flushStats.timeouts).toBe(1);
    s.write(9);
    expect(s.track()).toBe(0); // still at risk
    s.setPasses(true);
    expect(s.track()).toBe(3); // this flush completes: whatever the stale views wrote is in VRAM now
    expect(s.pages()).toEqual([3, 9, 40]);
    expect(s.track()).toBe(0);
    expect(s.dm.flushStats).toMatchObject({ flushes: 4, timeouts: 2 }); // none for the last call: nothing at risk
  });

  it('releases pages held from a flush the vCPUs have passed since, even when the new flush gives up', () => {
    const s = setup();
    s.track();
    s.setPasses(false);
    s.write(3);
    expect(s.track()).toBe(0); // held: the vCPU is inside a long instruction, say
    s.point.pass(); // ... which ends: the vCPU passes that flush on its way back into guest code
    s.write(8); // and writes again (a fresh exit), then enters another long instruction
    expect(s.track()).toBe(1); // this flush gives up too, but page 3 is safe now; page 8 is held
    expect(s.pages()).toEqual([3]);
    s.setPasses(true);
    expect(s.track()).toBe(1);
    expect(s.pages()).toEqual([8]);
    expect(s.dm.flushStats.timeouts).toBe(2);
  });

  it('a new range whose flush gives up is reported whole again after one that completes; a range change drops what was held', () => {
    const s = setup();
    s.setPasses(false);
    expect(s.track()).toBe(PAGES);
    s.setPasses(true);
    expect(s.track()).toBe(PAGES); // carried: every page of the range again
    expect(s.track()).toBe(0);
    s.setPasses(false);
    s.write(1);
    expect(s.track()).toBe(0); // held
    s.setPasses(true);
    expect(s.track(32)).toBe(32); // a new range reports everything anyway
    expect(s.track(32)).toBe(0);
  });
});

describe('GuestMemory.mapDirect', () => {
  it('maps only above RAM, where the fast-path verdicts stay 0 and every access reads the p2m', () => {
    const mem = new GuestMemory(new SharedArrayBuffer(MiB), createP2mBuffer());
    expect(() => mem.mapDirect(0x80000, new Uint8Array(4096))).toThrow(/overlaps RAM/);
    mem.mapDirect(MiB, new Uint8Array(4096));
    mem.setType(MiB >>> 12, 1, P2mType.RAM_RW);
    expect([mem.fastRead[MiB >>> 12], mem.fastWrite[MiB >>> 12]]).toEqual([0, 0]);
  });
});
