/**
 * The display in the device model's loop, as one of its sources: the ioreq server polls a source
 * when it is due (with the buffered ring drained first, so posted window writes are in the
 * picture), not before; the display is due only when something could have changed (a VGA write,
 * the hypervisor's dirty-VRAM doorbell on the buffered-ioreq port, or always in `shared` mode);
 * on destroy it makes a last refresh and writes the screenshot, reported to the toolstack, after
 * the loop has returned. Runs the server on this thread with the std VGA of a real platform.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { createP2mBuffer, P2mType, PAGE_SIZE } from '../shared/p2m.js';
import { BufferedIoreqProducer } from '../shared/buffered-ioreq.js';
import { ByteRing, createByteRing } from '../shared/byte-ring.js';
import { decodeControlMessage, type ControlMessage } from '../shared/control-messages.js';
import { createDirtyVramBuffer } from '../shared/dirty-vram.js';
import { createDomainControlBuffer, DomainControl, REQ_DESTROY, RunState } from '../shared/domain-control.js';
import { attachDomainSharedMemory, bindIoreqServer, createDomainSharedMemory, createIoreqServerPorts, PRODUCER_LOCK_INDEX } from '../shared/domain-layout.js';
import { IOREQ_TYPE_COPY } from '../shared/ioreq.js';
import { DM_COUNTER_INDEX, DM_COUNTERS } from '../shared/run-stats.js';
import type { VgaConfig } from '../shared/vga-config.js';
import { pngWorkerUrl } from '../device-model/devices/vga/png-encode.js';
import { createDmPlatform } from '../device-model/dm-platform.js';
import { GuestRam } from '../device-model/guest-ram.js';
import { IoreqDispatcher } from '../device-model/ioreq-dispatch.js';
import { IoreqServer } from '../device-model/ioreq-server.js';
import type { LoopSource } from '../device-model/loop-source.js';
import { ConsoleSource } from '../device-model/console-source.js';
import { DisplayRefreshSource } from '../device-model/devices/vga/refresh-source.js';
import type { VgaMode } from '../shared/vga-config.js';
import { ToolstackOutbox } from '../device-model/toolstack-outbox.js';

const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'hvmsim-vga-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface SetupOptions {
  screenshot?: string;
  /** A source instead of the VGA's refresh; `spare` is a port of the DM's table nobody else uses. */
  source?: (spare: number) => LoopSource;
  mode?: VgaMode;
}

function setup({ screenshot, source, mode = 'shared' }: SetupOptions = {}) {
  const io = createDomainSharedMemory(1, 1);
  const domain = attachDomainSharedMemory(io);
  createIoreqServerPorts(domain);
  const controlPort = domain.dmEventChannels.allocUnbound(0);
  const spare = domain.dmEventChannels.allocUnbound(0);
  const binding = bindIoreqServer(domain);
  const control = new DomainControl(createDomainControlBuffer(1), 1);
  const counters = new Float64Array(DM_COUNTERS.length);
  const messages: ControlMessage[] = [];
  const post = (bytes: Uint8Array) => messages.push(decodeControlMessage(bytes));
  const outbox = new ToolstackOutbox(1, post);
  const ramBuf = new SharedArrayBuffer(2 * MiB);
  const p2m = createP2mBuffer();
  new Uint8Array(p2m).fill(P2mType.RAM_RW, 0, (2 * MiB) / PAGE_SIZE);
  const vga: VgaConfig = {
    mode,
    scan: 'memcmp',
    refreshHz: 60,
    vram: new SharedArrayBuffer(16 * MiB),
    dirtyVram: createDirtyVramBuffer(16 * MiB),
    lfbAddress: 0xf0000000,
    screenshot,
  };
  const platform = createDmPlatform(domain.irqLines, outbox, counters, { vga, p2m, domid: 1, post });
  // Its first slot is already past: a refresh that is wanted runs at the next step.
  const display = new DisplayRefreshSource(platform.vga!, [binding.bufioreqPort], performance.now() - 1000);
  const consoleIn = new ByteRing(createByteRing());
  const server = new IoreqServer({
    domain,
    binding,
    dispatcher: new IoreqDispatcher(platform.bus, platform.devices.pciHost, new GuestRam(ramBuf, p2m), counters),
    outbox,
    control,
    counters,
    controlPort,
    spin: 0,
    sources: [new ConsoleSource(consoleIn, platform.devices.uart, outbox, controlPort), source ? source(spare) : display],
  });
  const producer = new BufferedIoreqProducer(io.bufferedPage, domain.producerLock, PRODUCER_LOCK_INDEX);
  const counter = (name: (typeof DM_COUNTERS)[number]) => counters[DM_COUNTER_INDEX[name]]!;
  return { server, platform, control, messages, producer, counter, domain, controlPort, binding, display, spare };
}

/** A source that records its polls; its deadline is whatever the test says. */
class ScriptedSource implements LoopSource {
  readonly name = 'scripted';
  deadline = Infinity;
  polls = 0;
  wokenPolls = 0;
  constructor(readonly ports: readonly number[] = []) {}
  nextDeadline(): number {
    return this.deadline;
  }
  poll(now: number, woken: boolean): void {
    this.polls++;
    if (woken) this.wokenPolls++;
    this.deadline = now + 1e9;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('display refresh in the ioreq server loop', () => {
  it('polls a source when its deadline is due and not before, and when one of its ports fires', () => {
    let source!: ScriptedSource;
    // The spare port is one only the source listens on (a back end's, say).
    const { server, domain, controlPort, spare: ownPort } = setup({ source: (spare) => (source = new ScriptedSource([spare])) });
    // Not due: a wake-up on the control port ends the wait, no poll.
    source.deadline = performance.now() + 1e9;
    domain.dmEventChannels.setPending(controlPort);
    server.step();
    expect(source.polls).toBe(0);
    // Due: the wait is cut to nothing and the poll runs.
    source.deadline = performance.now() - 1;
    server.step();
    expect(source.polls).toBe(1);
    domain.dmEventChannels.setPending(controlPort);
    server.step();
    expect(source.polls).toBe(1);
    // Its own port wakes it, however far its deadline, and is unmasked for the next event.
    domain.dmEventChannels.setPending(ownPort);
    server.step();
    expect([source.polls, source.wokenPolls]).toEqual([2, 1]);
    domain.dmEventChannels.setPending(ownPort);
    server.step();
    expect([source.polls, source.wokenPolls]).toEqual([3, 2]);
  });

  it('the display sleeps while nothing could have changed: no refresh for a control-port wake-up, one after a VGA write', () => {
    const { server, platform, domain, controlPort, counter, display } = setup({ mode: 'shared-dirty' });
    server.step(); // the first slot draws the start-up picture
    expect(counter('refreshes')).toBe(1);
    expect(display.nextDeadline()).toBe(Infinity);
    for (let i = 0; i < 3; i++) {
      domain.dmEventChannels.setPending(controlPort);
      server.step();
    }
    expect(counter('refreshes')).toBe(1);
    // A DAC write through the bus (what the guest's OUT becomes) could change the picture.
    platform.bus.writePort(0x3c8, 1, 0);
    expect(display.nextDeadline()).toBeLessThan(Infinity);
  });

  it("the hypervisor's doorbell on the buffered-ioreq port wakes the display (shared-dirty: a dirty-VRAM bit was set)", async () => {
    const { server, domain, counter, display } = setup({ mode: 'shared-dirty' });
    server.step();
    expect(counter('refreshes')).toBe(1);
    domain.guestEventChannels.send(domain.bufioreqPort()); // what the vCPU does after marking a page
    server.step(); // the event: the display is woken, its next slot is a period away
    expect(display.nextDeadline()).toBeLessThan(Infinity);
    await sleep(20);
    server.step();
    expect(counter('refreshes')).toBe(2);
    expect(display.nextDeadline()).toBe(Infinity);
  });

  it('in shared mode the display is always due at its rate: the guest writes VRAM without telling anyone', () => {
    const { server, counter, display } = setup({ mode: 'shared' });
    server.step();
    expect(counter('refreshes')).toBe(1);
    expect(display.nextDeadline()).toBeLessThan(Infinity);
  });

  it('drains the buffered ring before refreshing, so posted window writes are drawn', async () => {
    const { server, platform, producer, counter, display } = setup();
    const vga = platform.vga!;
    const vbe = (i: number, v: number) => vga.vbe.writeRegister(i, v);
    vbe(1, 320);
    vbe(2, 200);
    vbe(3, 32);
    vbe(4, 0x01); // VBE on, LFB off: the guest draws through the window
    server.step();
    // On a loaded machine the first step may already have met a second slot (the mode change):
    // what matters is that the post below is drained and drawn by the refresh that follows it.
    const before = counter('refreshes');
    expect(before).toBeGreaterThanOrEqual(1);
    // Pixel 1 = white, posted as a buffered write to the legacy window (no notification needed).
    expect(producer.tryPost(IOREQ_TYPE_COPY, 0xa0004, 4, 0x00ffffff, 0)).toBe(true);
    await sleep(20); // the next slot
    server.step();
    expect(counter('buffered_served')).toBe(1);
    expect(counter('refreshes')).toBeGreaterThan(before);
    expect(Array.from(vga.display.surface.rgba.subarray(4, 8))).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(display.nextDeadline()).toBeGreaterThan(performance.now());
  });

  it('on destroy: a last refresh, the loop returns, the screenshot is written and reported, the state is DEAD', async () => {
    if (!existsSync(pngWorkerUrl())) throw new Error(`${pngWorkerUrl().pathname} is missing: run \`npm run build\` first`);
    const path = join(dir, 'last.png');
    const { server, platform, control, messages, counter } = setup({ screenshot: path });
    const vga = platform.vga!;
    vga.vbe.writeRegister(1, 64);
    vga.vbe.writeRegister(2, 32);
    vga.vbe.writeRegister(3, 32);
    vga.vbe.writeRegister(4, 0x41);
    vga.vram.view.setUint32(4 * (64 * 5 + 7), 0x00336699, true); // pixel (7, 5), written directly (shared mode)
    control.setRequest(REQ_DESTROY, true);
    const finishing = server.run();
    expect(control.state(1)).toBe(RunState.DEAD);
    expect(counter('refreshes')).toBe(1); // the last one, on the loop's way out
    expect(finishing).toBeInstanceOf(Promise);
    await finishing;
    expect(messages.filter((m) => m.kind === 'screenshot')).toEqual([{ kind: 'screenshot', domid: 1, path, width: 64, height: 32 }]);
    const png = pngjs.PNG.sync.read(readFileSync(path));
    expect([png.width, png.height]).toEqual([64, 32]);
    const at = (5 * 64 + 7) * 4;
    expect(Array.from(png.data.subarray(at, at + 4))).toEqual([0x33, 0x66, 0x99, 0xff]); // B, G, R in memory
  });

  it('without --screenshot, destroy makes the last refresh and has nothing to wait for', () => {
    const { server, control, messages, counter } = setup();
    control.setRequest(REQ_DESTROY, true);
    expect(server.run()).toBeUndefined();
    expect(counter('refreshes')).toBe(1);
    expect(messages.some((m) => m.kind === 'screenshot')).toBe(false);
  });
});
