/**
 * The i8042 state machine where QEMU cannot be asked through ports alone (i8042-qemu.test.ts
 * covers the rest): the power-on state, IRQ 1 and IRQ 12 levels, key events in set 2 and
 * translated to set 1, mouse packets with their sign and overflow bits, the event room that
 * backpressure relies on, the latency stamps, and the reset pulse.
 */
import { describe, expect, it } from 'vitest';
import { I8042, MODE_AUX_INT, MODE_KBD_INT, STAT_AUX_OBF, STAT_OBF } from '../device-model/devices/i8042.js';
import { KEYS } from '../device-model/devices/ps2-keyboard.js';
import { BUTTON_LEFT, encodePacket } from '../device-model/devices/ps2-mouse.js';
import { PS2_QUEUE_SIZE } from '../device-model/devices/ps2-queue.js';
import { portsOf } from './support/bus-access.js';

function setup() {
  const irqs: [number, boolean][] = [];
  const levels = new Map<number, boolean>();
  const shutdowns: string[] = [];
  const loaded: [number, number][] = [];
  const taken: [number, number][] = [];
  const dev = new I8042({
    raiseIrq: (line, level) => {
      irqs.push([line, level]);
      levels.set(line, level);
    },
    shutdown: (r) => shutdowns.push(r),
    latency: { loaded: (irq, s) => loaded.push([irq, s]), taken: (irq, s) => taken.push([irq, s]) },
  });
  const cmd = (v: number) => portsOf(dev).ioWrite(0x64, 1, v);
  const data = (v: number) => portsOf(dev).ioWrite(0x60, 1, v);
  const status = () => portsOf(dev).ioRead(0x64, 1);
  const read = () => portsOf(dev).ioRead(0x60, 1);
  /** Every byte waiting, in order. */
  const drain = () => {
    const out: number[] = [];
    while (status() & STAT_OBF) out.push(read());
    return out;
  };
  const mouse = (v: number) => {
    cmd(0xd4);
    data(v);
  };
  return { dev, irqs, levels, shutdowns, loaded, taken, cmd, data, status, read, drain, mouse };
}

describe('i8042 power-on state', () => {
  it('has both interrupts enabled, no translation, status CMD|UNLOCKED and nothing to read', () => {
    const t = setup();
    expect(t.status()).toBe(0x18);
    t.cmd(0x20);
    expect(t.drain()).toEqual([MODE_KBD_INT | MODE_AUX_INT]);
    t.cmd(0xd0);
    expect(t.drain()).toEqual([0xcf]);
    expect(t.irqs).toEqual([
      [1, true],
      [1, false],
      [1, true],
      [1, false],
    ]);
  });

  it('tracks the A20 bit of the output port', () => {
    const t = setup();
    t.cmd(0xdd);
    t.cmd(0xd0);
    expect(t.drain()).toEqual([0xcd]);
    t.cmd(0xdf);
    t.cmd(0xd0);
    expect(t.drain()).toEqual([0xcf]);
  });
});

describe('i8042 interrupts', () => {
  it('raises IRQ 1 for a keyboard byte while enabled, and lowers it when read', () => {
    const t = setup();
    t.data(0xf2); // keyboard ID: FA AB 83
    expect(t.levels.get(1)).toBe(true);
    expect(t.read()).toBe(0xfa);
    // Lowered and raised again for the next byte: a new edge per byte.
    expect(t.irqs.slice(-2)).toEqual([
      [1, false],
      [1, true],
    ]);
    t.read();
    t.read();
    expect(t.levels.get(1)).toBe(false);
  });

  it('raises IRQ 12 for an aux byte only with command byte bit 1', () => {
    const t = setup();
    t.cmd(0x60);
    t.data(MODE_KBD_INT); // aux interrupt off
    t.mouse(0xf2);
    expect(t.status() & STAT_AUX_OBF).toBe(STAT_AUX_OBF);
    expect(t.levels.get(12)).toBeUndefined();
    t.cmd(0x60);
    t.data(MODE_KBD_INT | MODE_AUX_INT);
    expect(t.levels.get(12)).toBe(true);
    expect(t.drain()).toEqual([0xfa, 0x00]);
    expect(t.levels.get(12)).toBe(false);
  });

  it('keeps IRQ 1 low while the keyboard is disabled, and D3 bytes interrupt on IRQ 12', () => {
    const t = setup();
    t.cmd(0xad);
    t.cmd(0xd2);
    t.data(0x11);
    expect(t.status() & STAT_OBF).toBe(STAT_OBF);
    expect(t.levels.get(1)).toBeUndefined();
    t.read();
    t.cmd(0xd3);
    t.data(0x22);
    expect(t.levels.get(12)).toBe(true);
    expect(t.read()).toBe(0x22);
    expect(t.levels.get(12)).toBe(false);
  });
});

describe('keyboard events', () => {
  it('sends set 2 make and break codes, with E0 for extended keys', () => {
    const t = setup();
    t.dev.keyboard.keyEvent(KEYS.get('a')!, true);
    t.dev.keyboard.keyEvent(KEYS.get('a')!, false);
    t.dev.keyboard.keyEvent(KEYS.get('up')!, true);
    t.dev.keyboard.keyEvent(KEYS.get('up')!, false);
    expect(t.drain()).toEqual([0x1c, 0xf0, 0x1c, 0xe0, 0x75, 0xe0, 0xf0, 0x75]);
  });

  it('translates to set 1 when the command byte says so (break = make | 0x80)', () => {
    const t = setup();
    t.cmd(0x60);
    t.data(0x47);
    for (const k of ['a', 'q', 'enter', 'up']) {
      t.dev.keyboard.keyEvent(KEYS.get(k)!, true);
      t.dev.keyboard.keyEvent(KEYS.get(k)!, false);
    }
    expect(t.drain()).toEqual([0x1e, 0x9e, 0x10, 0x90, 0x1c, 0x9c, 0xe0, 0x48, 0xe0, 0xc8]);
  });

  it('sends nothing while scanning is off (F5) and again after F4', () => {
    const t = setup();
    t.data(0xf5);
    t.drain();
    expect(t.dev.keyboard.canAcceptKey(1)).toBe(false);
    t.dev.keyboard.keyEvent(KEYS.get('a')!, true);
    expect(t.drain()).toEqual([]);
    t.data(0xf4);
    t.drain();
    t.dev.keyboard.keyEvent(KEYS.get('a')!, true);
    expect(t.drain()).toEqual([0x1c]);
  });

  it('puts command replies in front of key codes already waiting', () => {
    const t = setup();
    t.cmd(0xad); // hold the keyboard's bytes back
    t.dev.keyboard.keyEvent(KEYS.get('b')!, true);
    t.data(0xee); // echo (the data write re-enables the keyboard)
    expect(t.drain()).toEqual([0xee, 0x32]);
  });
});

describe('mouse packets', () => {
  it.each([
    [5, 3, 0, [0x08, 5, 3]],
    [-1, -2, BUTTON_LEFT, [0x39, 0xff, 0xfe]],
    [255, -256, 0, [0x28, 0xff, 0x00]],
    [300, 0, 0, [0x48, 0xff, 0x00]],
    [0, -400, 2, [0xaa, 0x00, 0x00]],
  ])('dx %i dy %i buttons %i → %j', (dx, dy, buttons, bytes) => {
    expect(encodePacket(dx, dy, buttons)).toEqual(bytes);
  });

  it('sends one packet per event only while reporting is on, and holds room for whole packets', () => {
    const t = setup();
    t.mouse(0xff);
    t.drain();
    expect(t.dev.mouse.canAcceptEvent()).toBe(false); // reporting off after reset
    t.mouse(0xf4);
    t.drain();
    let n = 0;
    while (t.dev.mouse.canAcceptEvent()) t.dev.mouse.event(n + 1, -n, 0, 1000 + n++);
    expect(n).toBe(Math.floor(PS2_QUEUE_SIZE / 3));
    const bytes = t.drain();
    expect(bytes).toHaveLength(3 * n);
    for (let i = 0; i < n; i++) expect(bytes.slice(3 * i, 3 * i + 3)).toEqual(encodePacket(i + 1, -i, 0));
    expect(t.dev.mouse.queue.dropped).toBe(0);
  });

  it('stamps the first byte of each packet: loaded when it reaches the output buffer, taken when read', () => {
    const t = setup();
    t.mouse(0xf4);
    t.drain();
    t.dev.mouse.event(1, 1, 0, 111);
    t.dev.mouse.event(2, 2, 0, 222);
    expect(t.loaded).toEqual([[12, 111]]);
    t.drain();
    expect(t.loaded).toEqual([
      [12, 111],
      [12, 222],
    ]);
    expect(t.taken).toEqual([
      [12, 111],
      [12, 222],
    ]);
  });

  it('alternates keyboard and mouse bytes when both wait', () => {
    const t = setup();
    t.mouse(0xf4);
    t.drain();
    t.cmd(0xad);
    t.cmd(0xa7);
    t.dev.keyboard.keyEvent(KEYS.get('a')!, true);
    t.dev.keyboard.keyEvent(KEYS.get('a')!, false);
    t.dev.mouse.event(1, 2, 0);
    t.cmd(0xae);
    t.cmd(0xa8);
    expect(t.drain()).toEqual([0x1c, 0x08, 0xf0, 0x01, 0x1c, 0x02]);
  });
});

describe('reset pulse', () => {
  it('0xFE and an output-port write with bit 0 clear reboot; 0xFF and 0xF1 do not', () => {
    const t = setup();
    t.cmd(0xff);
    t.cmd(0xf1);
    expect(t.shutdowns).toEqual([]);
    t.cmd(0xfe);
    expect(t.shutdowns).toEqual(['reboot']);
    t.cmd(0xd1);
    t.data(0xce);
    expect(t.shutdowns).toEqual(['reboot', 'reboot']);
  });
});
