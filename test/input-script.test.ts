/**
 * The input script: its format and errors, and its replay into an i8042 — on time, in order,
 * waiting for room instead of dropping, with the injection stamps on each event's first byte.
 */
import { describe, expect, it } from 'vitest';
import { I8042, STAT_OBF } from '../device-model/devices/i8042.js';
import { encodePacket } from '../device-model/devices/ps2-mouse.js';
import { InputInjector, InputScriptError, parseInputScript } from '../device-model/input-script.js';
import { portsOf } from './support/bus-access.js';

describe('input script format', () => {
  it('reads moves, buttons, keys, repeats and comments, with times relative to the previous event', () => {
    const events = parseInputScript(
      [
        '# a comment line',
        '+12ms move 5 -3   # trailing comment',
        '+0 button left down',
        '+250us key a',
        '+1s key enter down',
        '',
        '+2ms move 1 0 x3',
        '+0.5ms button right up',
      ].join('\n'),
    );
    expect(events).toEqual([
      { atUs: 12_000, kind: 'move', dx: 5, dy: -3 },
      { atUs: 12_000, kind: 'button', button: 1, down: true },
      { atUs: 12_250, kind: 'key', key: 'a', press: true, release: true },
      { atUs: 1_012_250, kind: 'key', key: 'enter', press: true, release: false },
      { atUs: 1_014_250, kind: 'move', dx: 1, dy: 0 },
      { atUs: 1_016_250, kind: 'move', dx: 1, dy: 0 },
      { atUs: 1_018_250, kind: 'move', dx: 1, dy: 0 },
      { atUs: 1_018_750, kind: 'button', button: 2, down: false },
    ]);
  });

  it.each([
    ['move 1 2', /f:1: expected a time such as \+5ms first, got "move"/],
    ['+5 move 1 2', /f:1: the time \+5 needs a unit/],
    ['+1ms move 1', /f:1: move takes two integers/],
    ['+1ms move 1 2000', /f:1: move: 2000 is outside -1023\.\.1023/],
    ['+1ms move 1 2.5', /f:1: move: "2\.5" is not an integer/],
    ['+1ms button left', /f:1: button takes a button and a direction/],
    ['+1ms button thumb down', /f:1: button takes a button and a direction/],
    ['+1ms key f13', /f:1: key: unknown key "f13" \(known: escape 1 2/],
    ['+1ms key a sideways', /f:1: key takes a name and optionally down or up/],
    ['+1ms jump', /f:1: unknown event "jump"/],
    ['+1ms move 1 1 x0', /f:1: repeat x0 must be x1\.\.x1000000/],
    ['# ok\n+2h move 1 1', /f:2: expected a time/],
  ])('%j is refused: %s', (text, message) => {
    expect(() => parseInputScript(text, 'f')).toThrow(InputScriptError);
    expect(() => parseInputScript(text, 'f')).toThrow(message);
  });
});

/** An i8042 with the mouse reporting and translation on, as the guests set it up. */
function readyController() {
  const dev = new I8042({ raiseIrq: () => {}, shutdown: () => {} });
  portsOf(dev).ioWrite(0x64, 1, 0x60);
  portsOf(dev).ioWrite(0x60, 1, 0x47);
  portsOf(dev).ioWrite(0x64, 1, 0xd4);
  portsOf(dev).ioWrite(0x60, 1, 0xf4);
  portsOf(dev).ioRead(0x60, 1); // the ACK
  const drain = () => {
    const out: number[] = [];
    while (portsOf(dev).ioRead(0x64, 1) & STAT_OBF) out.push(portsOf(dev).ioRead(0x60, 1));
    return out;
  };
  return { dev, drain };
}

describe('replay', () => {
  it('injects each event at its time, not before', () => {
    const { dev, drain } = readyController();
    const inj = new InputInjector(parseInputScript('+10ms move 3 4\n+10ms key a'), dev, 1000, () => 7);
    expect(inj.nextDue(1000)).toBe(1010);
    inj.poll(1009.9);
    expect(drain()).toEqual([]);
    inj.poll(1010);
    expect(drain()).toEqual(encodePacket(3, -4, 0)); // script Y down = wire Y negative
    expect(inj.nextDue(1010)).toBe(1020);
    inj.poll(1030);
    expect(drain()).toEqual([0x1e, 0x9e]);
    expect(inj.done).toBe(true);
    expect(inj.nextDue(2000)).toBe(Infinity);
    expect(inj.counters).toEqual({ events: 2, delayNs: 10_000_000 });
  });

  it('keeps button state across events, and has one event in flight per device', () => {
    const { dev, drain } = readyController();
    const inj = new InputInjector(parseInputScript('+0 button left down\n+0 move 1 1\n+0 key a\n+0 button left up\n+0 move 1 1'), dev, 0);
    const out: number[][] = [];
    while (!inj.done) {
      inj.poll(0);
      out.push(drain());
    }
    // The key goes in beside the second packet (its device is idle) and the controller
    // alternates their bytes, as an i8042 does.
    const [m0, m1, m2] = encodePacket(1, -1, 1);
    expect(out).toEqual([encodePacket(0, 0, 1), [m0, 0x1e, m1, 0x9e, m2], encodePacket(0, 0, 0), encodePacket(1, -1, 0)]);
  });

  it('waits while the mouse is not reporting, then delivers everything in order', () => {
    const dev = new I8042({ raiseIrq: () => {}, shutdown: () => {} });
    const inj = new InputInjector(parseInputScript('+0 move 1 0\n+0 move 2 0'), dev, 0);
    inj.poll(5);
    expect(inj.remaining).toBe(2);
    expect(inj.nextDue(5)).toBe(Infinity); // only a guest access can change that
    portsOf(dev).ioWrite(0x64, 1, 0xd4);
    portsOf(dev).ioWrite(0x60, 1, 0xf4);
    expect(portsOf(dev).ioRead(0x60, 1)).toBe(0xfa);
    const bytes: number[] = [];
    for (let i = 0; i < 3; i++) {
      inj.poll(6);
      while (portsOf(dev).ioRead(0x64, 1) & STAT_OBF) bytes.push(portsOf(dev).ioRead(0x60, 1));
    }
    expect(bytes).toEqual([...encodePacket(1, 0, 0), ...encodePacket(2, 0, 0)]);
  });

  it('never drops: a burst of 10,000 moves comes out as 10,000 packets, in order, however the guest reads', () => {
    const { dev } = readyController();
    const script = `+0 move 1 -1 x5000\n+0 move -2 2 x5000`;
    const inj = new InputInjector(parseInputScript(script), dev, 0);
    const bytes: number[] = [];
    let reads = 0;
    while (!inj.done || portsOf(dev).ioRead(0x64, 1) & STAT_OBF) {
      inj.poll(1);
      // The guest takes a few bytes between the injector's looks (one packet's worth or less).
      for (let i = 0; i < 1 + (reads % 4) && portsOf(dev).ioRead(0x64, 1) & STAT_OBF; i++, reads++) bytes.push(portsOf(dev).ioRead(0x60, 1));
    }
    expect(bytes).toHaveLength(30_000);
    for (let i = 0; i < 10_000; i++) {
      const want = i < 5000 ? encodePacket(1, 1, 0) : encodePacket(-2, -2, 0);
      expect(bytes.slice(3 * i, 3 * i + 3)).toEqual(want);
    }
    expect(dev.mouse.queue.dropped).toBe(0);
    expect(inj.counters.events).toBe(10_000);
  });
});
