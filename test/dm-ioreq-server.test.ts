/**
 * The device-model worker serving ioreqs: the test thread plays the hypervisor (and the
 * toolstack) against the compiled worker in dist/ (`npm run build` first; `npm test` does).
 * The last block checks the dispatcher's MMIO paths directly, since no MMIO device exists yet.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createP2mBuffer, P2mType, PAGE_SIZE } from '../shared/p2m.js';
import { IoBus, type AccessSize, type IoRegion } from '../shared/io-bus.js';
import {
  IOREQ_READ,
  IOREQ_TYPE_COPY,
  IOREQ_TYPE_INVALIDATE,
  IOREQ_TYPE_PCI_CONFIG,
  IOREQ_TYPE_PIO,
  IOREQ_WRITE,
  IoreqRecord,
  STATE_IOREQ_INPROCESS,
} from '../shared/ioreq.js';
import { DM_COUNTER_INDEX, DM_COUNTERS } from '../shared/run-stats.js';
import { DM_POLLING_INDEX } from '../shared/domain-layout.js';
import { RunState } from '../shared/domain-control.js';
import { PciHost } from '../device-model/devices/pci-host.js';
import { sbdf } from '../device-model/devices/pci-host.js';
import { GuestRam } from '../device-model/guest-ram.js';
import { BadIoreqError, IoreqDispatcher } from '../device-model/ioreq-dispatch.js';
import { DmFixture, requireFreshBuild } from './support/dm-fixture.js';

const THR = 0x3f8;
const IER = 0x3f9;
const IIR = 0x3fa;
const LSR = 0x3fd;
const SCR = 0x3ff;
const READ = IOREQ_READ;
const WRITE = IOREQ_WRITE;

beforeAll(() => requireFreshBuild());

let dm: DmFixture | undefined;
afterEach(async () => {
  await dm?.dispose();
  dm = undefined;
});

async function started(onPort = false): Promise<DmFixture> {
  dm = new DmFixture();
  if (onPort) await dm.startOnPort();
  else await dm.start();
  return dm;
}

const outb = (d: DmFixture, port: number, value: number, size = 1) => d.request(0, { addr: port, size, data: value, dir: WRITE });
const inb = (d: DmFixture, port: number, size = 1) => d.request(0, { addr: port, size, dir: READ }).low;

describe('device-model worker: start-up', () => {
  it('publishes its ports and PCI functions, reports ready, runs, and ends cleanly on destroy', async () => {
    const d = await started();
    const r = d.ranges;
    expect(r.published).toBe(true);
    expect(r.claimsPorts(0x3f8, 8)).toBe(true);
    expect(r.claimsPorts(0xf4, 4)).toBe(true);
    expect(r.claimsPorts(0xcf8, 1)).toBe(true);
    expect(r.claimsPorts(0xcfc, 4)).toBe(true);
    expect(r.claimsPorts(0xcf9, 1)).toBe(true);
    expect(r.claimsPorts(0x600, 6)).toBe(true);
    expect(r.claimsPorts(0x80, 1)).toBe(false); // port 0x80 is the hypervisor's
    expect(r.claimsPorts(0x40, 1)).toBe(false); // so is the PIT
    expect(r.claimsPci(sbdf(0, 0, 0))).toBe(true);
    expect(r.claimsPci(sbdf(0, 1, 0))).toBe(true);
    expect(r.claimsPci(sbdf(0, 1, 3))).toBe(true);
    expect(r.claimsPci(sbdf(0, 2, 0))).toBe(false);
    expect(r.mmioRanges()).toEqual([]);
    expect(d.control.state(1)).toBe(RunState.RUNNING);
    expect(d.messages[0]).toEqual({ kind: 'ready', domid: 1 });
    expect(await d.destroy()).toBe(0);
    expect(d.control.state(1)).toBe(RunState.DEAD);
  });
});

describe('device-model worker: start-up failure', () => {
  it('reports a config it cannot run with as a crash and ends its thread', async () => {
    dm = new DmFixture({ spin: -1 });
    await expect(dm.start()).rejects.toThrow(/exited \(0\) before/);
    const crash = dm.messages.find((m) => m.kind === 'crash');
    expect(crash?.kind === 'crash' && crash.report.reason).toMatch(/^device model start-up failed: ioreq server: spin must be an integer/);
    expect(dm.control.state(1)).toBe(RunState.DEAD);
  });
});

describe('device-model worker: two vCPUs', () => {
  it('serves each vCPU slot and answers on that vCPU port', async () => {
    dm = new DmFixture({ vcpus: 2 });
    await dm.start();
    const d = dm;
    d.publish(0, { addr: SCR, data: 0x10 });
    d.publish(1, { addr: THR, data: 0x31 });
    expect(d.awaitResponse(0)).toBe(true);
    expect(d.awaitResponse(1)).toBe(true);
    const out = new IoreqRecord();
    d.domain.ioreq.takeResponse(0, out);
    d.domain.ioreq.takeResponse(1, out);
    expect(d.request(1, { addr: SCR, dir: READ }).low).toBe(0x10);
    expect(d.request(0, { addr: LSR, dir: READ }).low).toBe(0x60);
    expect(d.counter('ioreqs_served')).toBe(4);
    await until(() => d.consoleText() === '1');
    expect(d.control.state(2)).toBe(RunState.RUNNING); // the device model's run state follows the vCPUs'
    expect(await d.destroy()).toBe(0);
  });
});

describe('device-model worker: notify avoidance', () => {
  it('serves requests published without a notification while its polling flag is up, and lowers the flag before it sleeps', async () => {
    dm = new DmFixture({ spin: 2000 });
    await dm.start();
    const d = dm;
    const info = d.domain.serverInfo;
    // Asleep with the flag down. (Two reads from outside cannot be one snapshot: the loop wakes
    // on its idle timeout now and then and polls briefly, so this waits for a moment of both.
    // A server that went to sleep with its flag up would not show one.)
    const asleepFlagDown = () => d.domain.dmEventChannels.upcallSleepers(0) > 0 && Atomics.load(info, DM_POLLING_INDEX) === 0;
    await until(asleepFlagDown);
    let skipped = 0;
    const out = new IoreqRecord();
    for (let i = 0; i < 2000; i++) {
      const rec = new IoreqRecord();
      rec.addr = SCR;
      rec.dir = i & 1 ? READ : WRITE;
      rec.dataLow = (i >> 1) & 0xff;
      d.domain.ioreq.publish(0, rec);
      // The vCPU's rule (hypervisor/ioreq-client.ts): no send while the device model polls.
      if (Atomics.load(info, DM_POLLING_INDEX) === 0) d.notify(0);
      else skipped++;
      expect(d.awaitResponse(0, 2000)).toBe(true);
      d.domain.ioreq.takeResponse(0, out);
      if (i & 1) expect(out.dataLow).toBe((i >> 1) & 0xff);
    }
    expect(d.counter('ioreqs_served')).toBe(2000);
    // The stream is over: the server spins out its budget, lowers the flag, looks once more, sleeps.
    await until(asleepFlagDown);
    console.log(`notify avoidance: ${skipped} of 2000 requests went unnotified`);
    expect(await d.destroy()).toBe(0);
  });
});

describe('device-model worker: port I/O and PCI config', () => {
  it('turns UART THR writes into console output and answers an LSR read', async () => {
    const d = await started();
    for (const c of 'Hi!\n') outb(d, THR, c.charCodeAt(0));
    expect(inb(d, LSR)).toBe(0x60); // THRE | TEMT, no data
    await d.waitFor((m) => m.kind === 'console', 'console output');
    expect(d.consoleText()).toBe('Hi!\n');
    expect(d.counter('ioreqs_served')).toBe(5);
    expect(d.counter('pio')).toBe(5);
    expect(d.counter('bad_requests')).toBe(0);
    expect(d.counter('wakeups')).toBeGreaterThanOrEqual(5);
  });

  it('masks write data to the access size before the device sees it', async () => {
    const d = await started();
    outb(d, SCR, 0xabcdef42, 1);
    expect(inb(d, SCR)).toBe(0x42);
    // A word read of the UART's byte registers covers two of them: MCR (OUT2), then LSR.
    expect(inb(d, 0x3fc, 2)).toBe((0x60 << 8) | 0x08); // MCR = OUT2, LSR
  });

  it('serves PCI_CONFIG requests by SBDF: i440FX and PIIX4 PM IDs, absent functions read all ones', async () => {
    const d = await started();
    const cfg = (id: number, reg: number, size: number) => d.request(0, { type: IOREQ_TYPE_PCI_CONFIG, sbdf: id, addr: reg, size, dir: READ }).low;
    expect(cfg(sbdf(0, 0, 0), 0, 4)).toBe(0x12378086);
    expect(cfg(sbdf(0, 0, 0), 2, 2)).toBe(0x1237);
    expect(cfg(sbdf(0, 1, 0), 0, 4)).toBe(0x70008086);
    expect(cfg(sbdf(0, 1, 3), 0, 4)).toBe(0x71138086);
    expect(cfg(sbdf(0, 5, 0), 0, 4)).toBe(0xffffffff);
    expect(cfg(sbdf(0, 5, 0), 0, 1)).toBe(0xff);
    // A write to the PIIX3 PIRQA route register reads back.
    d.request(0, { type: IOREQ_TYPE_PCI_CONFIG, sbdf: sbdf(0, 1, 0), addr: 0x60, size: 1, dir: WRITE, data: 0x05 });
    expect(cfg(sbdf(0, 1, 0), 0x60, 1)).toBe(0x05);
    expect(d.counter('pci_config')).toBe(8);
    expect(d.counter('pio')).toBe(0);
  });

  it('REP OUTSB from a guest buffer prints the string in order, upwards and (df) downwards', async () => {
    const d = await started();
    const text = 'Hello from REP OUTSB\n';
    d.ram.set(Buffer.from(text, 'latin1'), 0x1000);
    const r = d.request(0, { addr: THR, size: 1, count: text.length, dataIsPtr: true, data: 0x1000, dir: WRITE });
    expect(r.low).toBe(0x1000); // a pointer request answers with its own data
    d.request(0, { addr: THR, size: 1, count: 5, dataIsPtr: true, data: 0x1004, df: true, dir: WRITE });
    await d.waitFor((m) => m.kind === 'console');
    await until(() => d.consoleText().length === text.length + 5);
    expect(d.consoleText()).toBe(`${text}olleH`);
  });

  it('batches console output: a batch goes out at 4 KiB and the rest before the loop sleeps', async () => {
    const d = await started();
    for (const c of '0123456789') d.buffered.tryPost(IOREQ_TYPE_PIO, THR, 1, c.charCodeAt(0));
    const text = Array.from({ length: 4096 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('');
    d.ram.set(Buffer.from(text, 'latin1'), 0x10000);
    d.request(0, { addr: THR, size: 1, count: 4096, dataIsPtr: true, data: 0x10000, dir: WRITE });
    await until(() => d.consoleText().length === 4106);
    const sizes = d.messages.flatMap((m) => (m.kind === 'console' ? [m.bytes.length] : []));
    expect(sizes).toEqual([4096, 10]);
    expect(d.consoleText()).toBe(`0123456789${text}`);
  });

  it('REP INS stores each item into the guest buffer, the port staying the same, and touches nothing else', async () => {
    const d = await started();
    d.ram.fill(0xee, 0x2000, 0x3100);
    outb(d, SCR, 0x5a);
    d.request(0, { addr: SCR, size: 1, count: 4, dataIsPtr: true, data: 0x2000, dir: READ });
    expect([...d.ram.subarray(0x2000, 0x2005)]).toEqual([0x5a, 0x5a, 0x5a, 0x5a, 0xee]);
    // REP INSD from the PCI data port, downwards from 0x3008: 0x3000..0x300b get the ID dword.
    outb(d, 0xcf8, 0x80000000, 4);
    d.request(0, { addr: 0xcfc, size: 4, count: 3, dataIsPtr: true, data: 0x3008, df: true, dir: READ });
    const view = new DataView(d.ram.buffer);
    expect([0x3000, 0x3004, 0x3008].map((a) => view.getUint32(a, true))).toEqual([0x12378086, 0x12378086, 0x12378086]);
    expect(view.getUint32(0x2ffc, true)).toBe(0xeeeeeeee);
    expect(view.getUint32(0x300c, true)).toBe(0xeeeeeeee);
  });

  it('answers unclaimed ports with all ones and counts INVALIDATE as served', async () => {
    const d = await started();
    expect(inb(d, 0x2f8, 1)).toBe(0xff); // COM2 is not emulated
    expect(inb(d, 0x2f8, 4)).toBe(0xffffffff);
    d.request(0, { type: IOREQ_TYPE_INVALIDATE, size: 4, data: 0xffffffff, dataHigh: 0xffffffff });
    // MMIO: no device yet, so reads are all ones (8 bytes: both halves).
    expect(d.request(0, { type: IOREQ_TYPE_COPY, addr: 0xfebf0000, size: 8, dir: READ })).toEqual({ low: 0xffffffff, high: 0xffffffff });
    expect(d.counter('ioreqs_served')).toBe(4);
    expect(d.counter('mmio')).toBe(1);
  });
});

describe('device-model worker: buffered ioreqs', () => {
  it('drains buffered writes before a later synchronous request, in order', async () => {
    const d = await started();
    // Posted without a notification: only the drain-first rule can apply them in time.
    expect(d.buffered.tryPost(IOREQ_TYPE_PIO, SCR, 1, 0x11)).toBe(true);
    expect(d.buffered.tryPost(IOREQ_TYPE_PIO, SCR, 1, 0x22)).toBe(true);
    for (const c of 'ab') expect(d.buffered.tryPost(IOREQ_TYPE_PIO, THR, 1, c.charCodeAt(0))).toBe(true);
    expect(inb(d, SCR)).toBe(0x22);
    outb(d, THR, 'c'.charCodeAt(0));
    await d.waitFor((m) => m.kind === 'console');
    await until(() => d.consoleText().length === 3);
    expect(d.consoleText()).toBe('abc');
    expect(d.counter('buffered_served')).toBe(4);
    expect(d.buffered.pending()).toBe(0);
  });

  it('drains the ring when the bufioreq port is notified, with no synchronous request', async () => {
    const d = await started();
    for (const c of 'buf\n') d.buffered.tryPost(IOREQ_TYPE_PIO, THR, 1, c.charCodeAt(0));
    d.domain.guestEventChannels.send(d.domain.bufioreqPort());
    await until(() => d.consoleText() === 'buf\n');
    expect(d.counter('buffered_served')).toBe(4);
    expect(d.counter('ioreqs_served')).toBe(0);
  });
});

describe('device-model worker: shutdown and reset reach the toolstack before the response', () => {
  // The port variant: each message carries the slot's state when the device model posted it
  // (INPROCESS = not answered yet), and this thread takes the messages synchronously the moment
  // it sees the response.
  const SPIN = 1_000_000;
  const lastPostedWhileInProcess = (d: DmFixture) => d.slotStatesAtPost.at(-1)?.[0] === STATE_IOREQ_INPROCESS;
  it('isa-debug-exit: console output, then shutdown with the exit status, then the response', async () => {
    const d = await started(true);
    // Buffered THR writes are drained into the console batch inside the same request, so the
    // batch must go out ahead of the shutdown.
    for (const c of 'bye') d.buffered.tryPost(IOREQ_TYPE_PIO, THR, 1, c.charCodeAt(0));
    d.publish(0, { addr: 0xf4, size: 1, data: 0x21, dir: WRITE });
    expect(d.awaitResponse(0, SPIN)).toBe(true);
    d.collect(); // no event-loop turn in between
    expect(d.messages.map((m) => m.kind)).toEqual(['ready', 'console', 'shutdown']);
    expect(d.consoleText()).toBe('bye');
    expect(d.messages[2]).toEqual({ kind: 'shutdown', domid: 1, reason: 'poweroff', exitStatus: 0x43 });
    expect(d.slotStatesAtPost[1]![0]).toBe(STATE_IOREQ_INPROCESS);
    expect(lastPostedWhileInProcess(d)).toBe(true);
  });

  it('PM1a_CNT S5 (SLP_EN, SLP_TYP 0) powers off before the response', async () => {
    const d = await started(true);
    d.publish(0, { addr: 0x604, size: 2, data: 0x2000, dir: WRITE });
    expect(d.awaitResponse(0, SPIN)).toBe(true);
    d.collect();
    expect(d.messages.at(-1)).toEqual({ kind: 'shutdown', domid: 1, reason: 'poweroff' });
    expect(lastPostedWhileInProcess(d)).toBe(true);
  });

  it('0xCF9 RST_CPU reboots before the response', async () => {
    const d = await started(true);
    d.publish(0, { addr: 0xcf9, size: 1, data: 0x06, dir: WRITE });
    expect(d.awaitResponse(0, SPIN)).toBe(true);
    d.collect();
    expect(d.messages.at(-1)).toEqual({ kind: 'shutdown', domid: 1, reason: 'reboot' });
    expect(lastPostedWhileInProcess(d)).toBe(true);
  });
});

describe('device-model worker: interrupts and console input', () => {
  it('raises ISA IRQ 4 (and kicks vCPU 0) when IER enables THRE, and lowers it when IIR is read', async () => {
    const d = await started();
    const irq = d.domain.irqLines;
    irq.acknowledgeKick(0);
    irq.takeRisingEdges();
    outb(d, IER, 0x02);
    expect(irq.levels() & (1 << 4)).toBe(1 << 4);
    expect(irq.takeRisingEdges()).toBe(1 << 4);
    expect(irq.kickPending(0)).toBe(true);
    expect(d.counter('irq_level_changes')).toBe(1);
    expect(inb(d, IIR)).toBe(0x02); // THRE interrupt, reading IIR acknowledges it
    expect(irq.levels() & (1 << 4)).toBe(0);
    expect(d.counter('irq_level_changes')).toBe(2);
  });

  it('feeds console input to the UART: LSR.DR, then the bytes through RBR, paced by the FIFO', async () => {
    const d = await started();
    expect(d.consoleIn.write(Buffer.from('ok'))).toBe(2);
    expect(inb(d, LSR) & 1).toBe(1);
    expect(inb(d, THR)).toBe('o'.charCodeAt(0));
    expect(inb(d, LSR) & 1).toBe(1); // the second byte entered once RBR was free
    expect(inb(d, THR)).toBe('k'.charCodeAt(0));
    expect(inb(d, LSR) & 1).toBe(0);
    expect(d.consoleIn.available()).toBe(0);
  });

  it('a control-port wake-up is enough to deliver input: the RX interrupt rises with no ioreq', async () => {
    const d = await started();
    outb(d, IER, 0x01); // received-data interrupt
    const irq = d.domain.irqLines;
    expect(irq.levels() & (1 << 4)).toBe(0);
    d.consoleIn.write(Buffer.from('x'));
    d.wake();
    await until(() => (irq.levels() & (1 << 4)) !== 0);
    expect(inb(d, THR)).toBe('x'.charCodeAt(0));
    expect(irq.levels() & (1 << 4)).toBe(0);
  });
});

/** Poll (without timing anything) until `ready()` holds; fails after many event-loop turns. */
async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !ready(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(ready()).toBe(true);
}

describe('ioreq dispatch: MMIO through the bus (in-thread)', () => {
  /** An MMIO device that logs every access and reads back a function of the address. */
  class LoggingMmio implements IoRegion {
    readonly base = 0xfe000000;
    readonly length = 0x1000;
    readonly log: string[] = [];
    read(offset: number, size: AccessSize): number {
      const addr = this.base + offset;
      this.log.push(`r${size}@${addr.toString(16)}`);
      return (((addr & 0xff) * 0x01010101) & (size === 4 ? 0xffffffff : (1 << (8 * size)) - 1)) >>> 0;
    }
    write(offset: number, size: AccessSize, value: number): void {
      const addr = this.base + offset;
      this.log.push(`w${size}@${addr.toString(16)}=${value.toString(16)}`);
    }
  }

  function setup() {
    const ramBuf = new SharedArrayBuffer(1 << 20);
    const p2mBuf = createP2mBuffer();
    new Uint8Array(p2mBuf).fill(P2mType.RAM_RW, 0, (1 << 20) / PAGE_SIZE);
    const bus = new IoBus();
    const dev = new LoggingMmio();
    bus.attach({ name: 'logging-mmio', resources: { mmio: [dev] } });
    const counters = new Float64Array(DM_COUNTERS.length);
    const dispatcher = new IoreqDispatcher(bus, new PciHost(bus), new GuestRam(ramBuf, p2mBuf), counters);
    return { dispatcher, dev, ram: new DataView(ramBuf), counters };
  }

  function copy(fields: Partial<IoreqRecord> & { addr: number }): IoreqRecord {
    const req = new IoreqRecord();
    req.type = IOREQ_TYPE_COPY;
    Object.assign(req, { size: 4, count: 1, dir: WRITE }, fields);
    return req;
  }

  it('single reads and writes, 8-byte accesses as two 32-bit halves, write data masked', () => {
    const { dispatcher, dev, counters } = setup();
    const r = copy({ addr: 0xfe000010, dir: READ });
    dispatcher.dispatch(r);
    expect(r.dataLow).toBe(0x10101010);
    const q = copy({ addr: 0xfe000020, size: 8, dir: READ });
    dispatcher.dispatch(q);
    expect([q.dataLow, q.dataHigh]).toEqual([0x20202020, 0x24242424]);
    dispatcher.dispatch(copy({ addr: 0xfe000030, size: 8, dataLow: 0x11223344, dataHigh: 0x55667788 }));
    const w = copy({ addr: 0xfe000040, size: 2, dataLow: 0xdeadbeef, dataHigh: 7 });
    dispatcher.dispatch(w);
    expect([w.dataLow, w.dataHigh]).toEqual([0xbeef, 0]);
    expect(dev.log).toEqual(['r4@fe000010', 'r4@fe000020', 'r4@fe000024', 'w4@fe000030=11223344', 'w4@fe000034=55667788', 'w2@fe000040=beef']);
    expect(counters[DM_COUNTER_INDEX.mmio]).toBe(4);
  });

  it('rep stos (count > 1 with a value) walks the MMIO address, down with df', () => {
    const { dispatcher, dev } = setup();
    dispatcher.dispatch(copy({ addr: 0xfe000100, size: 2, count: 3, dataLow: 0xabcd }));
    dispatcher.dispatch(copy({ addr: 0xfe000200, size: 1, count: 3, dataLow: 0x7f, df: true }));
    expect(dev.log).toEqual(['w2@fe000100=abcd', 'w2@fe000102=abcd', 'w2@fe000104=abcd', 'w1@fe000200=7f', 'w1@fe0001ff=7f', 'w1@fe0001fe=7f']);
  });

  it('rep movs moves items between MMIO and guest RAM in both directions', () => {
    const { dispatcher, dev, ram } = setup();
    dispatcher.dispatch(copy({ addr: 0xfe000310, size: 4, count: 2, dataLow: 0x5000, dataIsPtr: true, dir: READ }));
    expect([ram.getUint32(0x5000, true), ram.getUint32(0x5004, true), ram.getUint32(0x5008, true)]).toEqual([0x10101010, 0x14141414, 0]);
    ram.setUint32(0x6000, 0xcafef00d, true);
    ram.setUint32(0x6004, 0x0badc0de, true);
    ram.setUint32(0x5ffc, 0x12345678, true);
    dispatcher.dispatch(copy({ addr: 0xfe000400, size: 8, count: 1, dataLow: 0x6000, dataIsPtr: true }));
    dispatcher.dispatch(copy({ addr: 0xfe000500, size: 4, count: 2, dataLow: 0x6000, dataIsPtr: true, df: true }));
    expect(dev.log.slice(2)).toEqual(['w4@fe000400=cafef00d', 'w4@fe000404=badc0de', 'w4@fe000500=cafef00d', 'w4@fe0004fc=12345678']);
  });

  it('unclaimed MMIO reads all ones and drops writes; wrapping requests are refused', () => {
    const { dispatcher } = setup();
    const r = copy({ addr: 0x10000000, size: 2, dir: READ });
    dispatcher.dispatch(r);
    expect(r.dataLow).toBe(0xffff);
    dispatcher.dispatch(copy({ addr: 0x10000000 }));
    expect([dispatcher.unclaimedReads, dispatcher.unclaimedWrites]).toEqual([1, 1]);
    expect(() => dispatcher.dispatch(copy({ addr: 0xfffffffc, count: 2 }))).toThrow(BadIoreqError);
    expect(() => dispatcher.dispatch(copy({ addr: 4, count: 3, df: true }))).toThrow(/wraps around 4 GiB/);
    expect(() => dispatcher.dispatch(copy({ addr: 0xfe000000, count: 2, dataIsPtr: true, dataLow: 0xffffc, dir: READ }))).toThrow(/outside guest RAM/);
  });
});
