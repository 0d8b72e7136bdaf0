/**
 * The display in the device model's loop: the ioreq server refreshes when a refresh is due (with
 * the buffered ring drained first, so posted window writes are in the picture), not before; and
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
import { IoreqServer, type DmDisplay } from '../device-model/ioreq-server.js';
import { ToolstackOutbox } from '../device-model/toolstack-outbox.js';

const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'hvmsim-vga-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(screenshot?: string, display?: DmDisplay) {
  const io = createDomainSharedMemory(1, 1);
  const domain = attachDomainSharedMemory(io);
  createIoreqServerPorts(domain);
  const controlPort = domain.dmEventChannels.allocUnbound(0);
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
    mode: 'shared',
    scan: 'memcmp',
    refreshHz: 60,
    vram: new SharedArrayBuffer(16 * MiB),
    dirtyVram: createDirtyVramBuffer(16 * MiB),
    lfbAddress: 0xf0000000,
    screenshot,
  };
  const platform = createDmPlatform(domain.irqLines, outbox, counters, { vga, p2m, domid: 1, post });
  const server = new IoreqServer({
    domain,
    binding,
    dispatcher: new IoreqDispatcher(platform.bus, platform.devices.pciHost, new GuestRam(ramBuf, p2m), counters),
    outbox,
    control,
    counters,
    consoleIn: new ByteRing(createByteRing()),
    uart: platform.devices.uart,
    controlPort,
    spin: 0,
    display: display ?? platform.vga,
  });
  const producer = new BufferedIoreqProducer(io.bufferedPage, domain.producerLock, PRODUCER_LOCK_INDEX);
  const counter = (name: (typeof DM_COUNTERS)[number]) => counters[DM_COUNTER_INDEX[name]]!;
  return { server, platform, control, messages, producer, counter, domain, controlPort };
}

/** A display that records its calls; its next refresh is whenever the test says. */
class ScriptedDisplay implements DmDisplay {
  nextRefresh = Infinity;
  refreshes = 0;
  finished = 0;
  refresh(now: number): void {
    this.refreshes++;
    this.nextRefresh = now + 1e9;
  }
  finish(): undefined {
    this.finished++;
    return undefined;
  }
}

describe('display refresh in the ioreq server loop', () => {
  it('refreshes when due and not before', () => {
    const display = new ScriptedDisplay();
    const { server, domain, controlPort } = setup(undefined, display);
    // Not due: a wake-up on the control port ends the wait, no refresh.
    display.nextRefresh = performance.now() + 1e9;
    domain.dmEventChannels.setPending(controlPort);
    server.step();
    expect(display.refreshes).toBe(0);
    // Due: the wait is cut to nothing and the refresh runs.
    display.nextRefresh = performance.now() - 1;
    server.step();
    expect(display.refreshes).toBe(1);
    domain.dmEventChannels.setPending(controlPort);
    server.step();
    expect(display.refreshes).toBe(1);
  });

  it('drains the buffered ring before refreshing, so posted window writes are drawn', () => {
    const { server, platform, producer, counter } = setup();
    const vga = platform.vga!;
    const vbe = (i: number, v: number) => vga.vbe.writeRegister(i, v);
    vbe(1, 320);
    vbe(2, 200);
    vbe(3, 32);
    vbe(4, 0x01); // VBE on, LFB off: the guest draws through the window
    vga.nextRefresh = performance.now() - 1;
    server.step();
    expect(counter('refreshes')).toBe(1);
    // Pixel 1 = white, posted as a buffered write to the legacy window (no notification needed).
    expect(producer.tryPost(IOREQ_TYPE_COPY, 0xa0004, 4, 0x00ffffff, 0)).toBe(true);
    vga.nextRefresh = performance.now() - 1;
    server.step();
    expect(counter('buffered_served')).toBe(1);
    expect(counter('refreshes')).toBe(2);
    expect(Array.from(vga.display.surface.rgba.subarray(4, 8))).toEqual([0xff, 0xff, 0xff, 0xff]);
    expect(vga.nextRefresh).toBeGreaterThan(performance.now() - 1);
  });

  it('on destroy: a last refresh, the loop returns, the screenshot is written and reported, the state is DEAD', async () => {
    if (!existsSync(pngWorkerUrl())) throw new Error(`${pngWorkerUrl().pathname} is missing: run \`npm run build\` first`);
    const path = join(dir, 'last.png');
    const { server, platform, control, messages, counter } = setup(path);
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
