import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  type ControlMessage,
  ControlMessageError,
  decodeControlMessage,
  encodeControlMessage,
} from '../shared/control-messages.js';

const samples: ControlMessage[] = [
  { kind: 'shutdown', domid: 1, reason: 'reboot' },
  { kind: 'shutdown', domid: 1, reason: 'poweroff', exitStatus: 2 ** 33 - 1 },
  { kind: 'ready', domid: 4 },
  { kind: 'vcpu-down', domid: 4, vcpu: 1 },
  {
    kind: 'crash',
    domid: 3,
    report: { reason: 'triple fault', vcpu: 0, eip: 0xffff_fff0, instructionBytes: new Uint8Array([0x0f, 0x0b]), exits: { io: 12, hlt: 1 } },
  },
  {
    kind: 'crash',
    domid: 3,
    report: { reason: 'ud', vcpu: 1, eip: 0x100000, instructionBytes: new Uint8Array(0), exits: {}, registers: { eax: 0xffff_ffff, cr0: 0x11 } },
  },
  { kind: 'console', domid: 1, bytes: new TextEncoder().encode('hello\n') },
];

describe('control messages', () => {
  it('round-trip every kind through msgpack', () => {
    for (const m of samples) {
      const decoded = decodeControlMessage(encodeControlMessage(m));
      expect(decoded).toEqual(m);
    }
  });

  it('encodes into a compact buffer of its own (cheap to postMessage)', () => {
    const bytes = encodeControlMessage({ kind: 'ready', domid: 3 });
    expect(bytes.byteLength).toBeLessThan(32);
    expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', 42, /message must be an object, got 42/],
    ['an array', [1], /must be an object, got an array/],
    ['unknown kind', { kind: 'reboot-now', domid: 1 }, /unknown kind "reboot-now"/],
    ['missing field', { kind: 'ready' }, /ready: 'domid' must be an integer in 0\.\.32751, got nothing/],
    ['domid out of range', { kind: 'ready', domid: 0x7ff0 }, /'domid' must be an integer/],
    ['fractional', { kind: 'vcpu-down', domid: 1.5, vcpu: 0 }, /'domid' must be an integer/],
    ['a kind nobody sends', { kind: 'pause', domid: 1 }, /unknown kind "pause"/],
    ['vcpu past the limit', { kind: 'vcpu-down', domid: 1, vcpu: 8 }, /'vcpu' must be an integer in 0\.\.7/],
    ['negative exit counter', { kind: 'crash', domid: 1, report: { reason: 'x', vcpu: 0, eip: 0, instructionBytes: new Uint8Array(0), exits: { io: -1 } } }, /'exits\.io' must be a counter/],
    ['bad reason', { kind: 'shutdown', domid: 1, reason: 'explode' }, /'reason' must be one of poweroff\|reboot\|crash\|halt, got "explode"/],
    ['crash without report', { kind: 'crash', domid: 1 }, /crash field 'report' must be an object/],
    [
      'long instruction',
      { kind: 'crash', domid: 1, report: { reason: 'x', vcpu: 0, eip: 0, instructionBytes: new Uint8Array(17), exits: {} } },
      /'instructionBytes' must be bytes \(at most 16\), got 17 bytes/,
    ],
    ['exit status too wide', { kind: 'shutdown', domid: 1, reason: 'poweroff', exitStatus: 2 ** 33 }, /'exitStatus' must be an integer/],
    ['vcpu-down without vcpu', { kind: 'vcpu-down', domid: 1 }, /vcpu-down: 'vcpu' must be an integer in 0\.\.7, got nothing/],
    ['ready with extras', { kind: 'ready', domid: 1, ports: [1] }, /ready: unknown field 'ports'/],
    ['console as text', { kind: 'console', domid: 1, bytes: 'hello' }, /'bytes' must be bytes/],
  ];

  for (const [what, value, message] of bad) {
    it(`rejects ${what} on decode and on encode`, () => {
      expect(() => decodeControlMessage(pack(value))).toThrow(message);
      expect(() => encodeControlMessage(value as ControlMessage)).toThrow(ControlMessageError);
    });
  }

  it('rejects bytes that are not one msgpack value', () => {
    expect(() => decodeControlMessage(new Uint8Array([0x82, 0xa4]))).toThrow(/not a msgpack value/);
    const trailing = new Uint8Array([...pack({ kind: 'ready', domid: 1 }), 0x01]);
    expect(() => decodeControlMessage(trailing)).toThrow(ControlMessageError);
  });
});
