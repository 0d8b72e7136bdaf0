/**
 * The device model against a hostile (or broken) hypervisor and guest: malformed ioreq slots,
 * a slot state written by the guest, a corrupt buffered ring. Each must crash the domain with a
 * message naming the problem, leave the request unanswered, write nothing anywhere, and leave the
 * worker alive to be destroyed cleanly. Runs the compiled worker from dist/ (`npm run build`).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CrashMessage } from '../shared/control-messages.js';
import { RunState } from '../shared/domain-control.js';
import {
  IOREQ_READ,
  IOREQ_TYPE_COPY,
  IOREQ_TYPE_PCI_CONFIG,
  IOREQ_TYPE_PIO,
  IOREQ_WRITE,
  STATE_IOREQ_INPROCESS,
  STATE_IORESP_READY,
} from '../shared/ioreq.js';
import { DmFixture, requireFreshBuild, type IoreqFields } from './support/dm-fixture.js';

const RAM_BYTES = 2 << 20;
const THR = 0x3f8;

beforeAll(() => requireFreshBuild());

let dm: DmFixture | undefined;
afterEach(async () => {
  await dm?.dispose();
  dm = undefined;
});

/** A device model whose RAM and p2m hold known patterns, to prove no write lands anywhere. */
async function patterned(): Promise<DmFixture> {
  dm = new DmFixture({ ramBytes: RAM_BYTES });
  for (let i = 0; i < dm.ram.length; i++) dm.ram[i] = (i * 7 + 3) & 0xff;
  await dm.start();
  return dm;
}

function expectUntouched(d: DmFixture, p2mBefore: Uint8Array): void {
  let bad = -1;
  for (let i = 0; i < d.ram.length && bad < 0; i++) if (d.ram[i] !== ((i * 7 + 3) & 0xff)) bad = i;
  expect(bad).toBe(-1);
  expect(Buffer.compare(d.p2m, p2mBefore)).toBe(0);
}

async function expectCrash(d: DmFixture, reason: RegExp): Promise<CrashMessage> {
  const crash = (await d.waitFor((m) => m.kind === 'crash', 'a crash message')) as CrashMessage;
  expect(crash.domid).toBe(1);
  expect(crash.report.reason).toMatch(reason);
  expect(d.messages.filter((m) => m.kind === 'crash')).toHaveLength(1);
  return crash;
}

/** After the crash: stopped serving (ports masked), still alive, destroyed cleanly. */
async function expectStoppedThenDestroyed(d: DmFixture): Promise<void> {
  const guestPort = d.domain.ioreq.eventPort(0);
  const localPort = d.domain.guestEventChannels.portStatus(guestPort).remotePort;
  expect(d.domain.dmEventChannels.isMasked(localPort)).toBe(true);
  expect(d.control.state(1)).toBe(RunState.DEAD);
  expect(d.exitCode).toBeUndefined();
  expect(await d.destroy()).toBe(0);
}

const rep = { dataIsPtr: true, addr: THR, size: 1 } as const;

const malformed: [string, IoreqFields, RegExp][] = [
  ['size 3', { addr: THR, size: 3, data: 0x41 }, /bad ioreq from vCPU 0: bad size 3 \(type=pio dir=write size=3 count=1 addr=0x3f8 data=0x41/],
  ['size 0', { addr: THR, size: 0 }, /bad size 0/],
  ['size 16', { addr: THR, size: 16 }, /bad size 16/],
  ['count 0', { addr: THR, count: 0 }, /bad count 0/],
  ['count 5000', { ...rep, count: 5000, data: 0x1000 }, /bad count 5000/],
  ['port I/O of 8 bytes', { addr: THR, size: 8 }, /port I\/O of size 8/],
  ['port above 0xffff', { addr: 0x10000 }, /port 0x10000 out of range/],
  ['unknown type 5', { type: 5, addr: 0x1000, size: 4 }, /unknown type 5/],
  ['REP INS past the end of RAM', { ...rep, dir: IOREQ_READ, count: 8, data: RAM_BYTES - 4 }, /REP INS: buffer 0x1ffffc-0x200003 is outside guest RAM/],
  ['REP OUTS far outside RAM', { ...rep, count: 4, data: 0x4000_0000 }, /REP OUTS: .*outside guest RAM/],
  ['REP INS wrapping around 4 GiB', { ...rep, dir: IOREQ_READ, count: 4, data: 0xffff_fffe }, /wraps around 4 GiB/],
  ['REP INS (df) wrapping below 0', { ...rep, dir: IOREQ_READ, count: 4, data: 2, df: true }, /wraps below address 0/],
  ['REP INS to a buffer above 4 GiB', { ...rep, dir: IOREQ_READ, count: 1, data: 0, dataHigh: 1 }, /above 4 GiB/],
  ['REP INS into the VGA hole', { ...rep, dir: IOREQ_READ, count: 16, data: 0x9fff8 }, /frame 0xa0, which is not RAM/],
  ['REP MOVS from MMIO past RAM', { type: IOREQ_TYPE_COPY, dataIsPtr: true, dir: IOREQ_READ, addr: 0xfe000000, size: 8, count: 2, data: RAM_BYTES - 8 }, /REP MOVS from MMIO: .*outside guest RAM/],
  ['MMIO rep stos wrapping around 4 GiB', { type: IOREQ_TYPE_COPY, dir: IOREQ_WRITE, addr: 0xffff_fffc, size: 4, count: 2 }, /MMIO 0xfffffffc stepping up 2x4 wraps around 4 GiB/],
  ['PCI config with count 2', { type: IOREQ_TYPE_PCI_CONFIG, sbdf: 0, addr: 0, size: 4, count: 2 }, /PCI config access must be a single 1\/2\/4-byte value/],
];

describe('device model vs malformed ioreqs', () => {
  it.each(malformed)('%s: crash message, no answer, no write, worker still destroyable', async (_name, fields, reason) => {
    const d = await patterned();
    const p2mBefore = Uint8Array.from(d.p2m);
    d.publish(0, fields);
    const crash = await expectCrash(d, reason);
    expect(crash.report.vcpu).toBe(0);
    expect(d.domain.ioreq.state(0)).toBe(STATE_IOREQ_INPROCESS); // claimed, never answered
    expect(d.counter('bad_requests')).toBe(1);
    expect(d.counter('ioreqs_served')).toBe(0);
    // A guest that keeps notifying is not heard (its port stays masked).
    for (let i = 0; i < 10; i++) d.notify(0);
    expectUntouched(d, p2mBefore);
    await expectStoppedThenDestroyed(d);
  });
});

describe('device model vs a slot or ring the guest scribbled on', () => {
  /** Write the slot's state straight into the control word, as a guest with the page mapped could. */
  function scribbleState(d: DmFixture, state: number): void {
    const words = new Int32Array(d.config.io.ioreqPage);
    Atomics.store(words, 7, (words[7]! & ~(0xf << 16)) | (state << 16));
  }

  it.each([
    ['INPROCESS', STATE_IOREQ_INPROCESS],
    ['in unknown state 9', 9],
  ] as const)('a notification for a slot the guest set to %s is a protocol violation', async (name, state) => {
    const d = await patterned();
    const p2mBefore = Uint8Array.from(d.p2m);
    scribbleState(d, state);
    d.notify(0);
    await expectCrash(d, new RegExp(`ioreq protocol violation: ioreq slot 0: notified while the slot is ${name}`));
    expect(d.domain.ioreq.state(0)).toBe(state); // left as found
    expectUntouched(d, p2mBefore);
    await expectStoppedThenDestroyed(d);
  });

  it("a notification for a slot holding an answer (IORESP_READY) is dropped as stale: the vCPU's send can arrive after the answer", async () => {
    const d = await patterned();
    scribbleState(d, STATE_IORESP_READY);
    d.notify(0);
    d.wake();
    await new Promise((r) => setTimeout(r, 50));
    expect(d.messages.some((m) => m.kind === 'crash')).toBe(false);
    expect(d.domain.ioreq.state(0)).toBe(STATE_IORESP_READY); // left as found
    scribbleState(d, 0);
    d.request(0, { addr: 0x3ff, data: 0x42 });
    expect(d.request(0, { addr: 0x3ff, dir: IOREQ_READ }).low).toBe(0x42);
    expect(await d.destroy()).toBe(0);
  });

  it('a notification for a free slot is dropped as stale, and serving goes on', async () => {
    const d = await patterned();
    d.notify(0);
    d.request(0, { addr: 0x3ff, data: 0x99 }); // served after the stale one
    expect(d.request(0, { addr: 0x3ff, dir: IOREQ_READ }).low).toBe(0x99);
    expect(d.messages.some((m) => m.kind === 'crash')).toBe(false);
    expect(await d.destroy()).toBe(0);
  });

  it('a corrupt buffered ring (pointers 600 apart) crashes the domain and nothing is written', async () => {
    const d = await patterned();
    const p2mBefore = Uint8Array.from(d.p2m);
    const ring = new Int32Array(d.config.io.bufferedPage);
    // Entries that would print if they were (wrongly) consumed.
    for (let slot = 0; slot < 511; slot++) {
      ring[2 + 2 * slot] = IOREQ_TYPE_PIO | (THR << 12);
      ring[3 + 2 * slot] = 0x58;
    }
    Atomics.store(ring, 0, 0);
    Atomics.store(ring, 1, 600);
    d.domain.guestEventChannels.send(d.domain.bufioreqPort());
    await expectCrash(d, /corrupt buffered ioreq page: pointers read=0 write=600 are 600 apart/);
    expect(d.counter('buffered_served')).toBe(0);
    expect(d.consoleText()).toBe('');
    expectUntouched(d, p2mBefore);
    expect(d.control.state(1)).toBe(RunState.DEAD);
    expect(await d.destroy()).toBe(0);
  });

  it('the same corrupt ring found while draining before a synchronous request crashes it too', async () => {
    const d = await patterned();
    const ring = new Int32Array(d.config.io.bufferedPage);
    Atomics.store(ring, 1, 600);
    d.publish(0, { addr: THR, data: 0x41 });
    await expectCrash(d, /corrupt buffered ioreq page: .*600 apart/);
    expect(d.domain.ioreq.state(0)).toBe(STATE_IOREQ_INPROCESS);
    expect(d.consoleText()).toBe('');
    await expectStoppedThenDestroyed(d);
  });

  it('an 8-byte buffered port write is refused', async () => {
    const d = await patterned();
    expect(d.buffered.tryPost(IOREQ_TYPE_PIO, THR, 8, 0x41, 0x42)).toBe(true);
    d.domain.guestEventChannels.send(d.domain.bufioreqPort());
    await expectCrash(d, /bad buffered ioreq: buffered port write of size 8 at port 0x3f8/);
    expect(d.consoleText()).toBe('');
    expect(await d.destroy()).toBe(0);
  });
});
