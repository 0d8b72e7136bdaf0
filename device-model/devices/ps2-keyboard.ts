/**
 * A PS/2 (MF2) keyboard behind the i8042, as QEMU's ps2.c behaves (checked against
 * qemu-system-i386 7.2 where the behaviour shows: replies to FF, F2, F0 00, EE and an unknown
 * command). Keys are produced in scan code set 2 and, while the controller's command byte asks
 * for it (bit 6), translated to set 1 on the way out, as the 8042 does: a set-2 code goes through
 * the translation table and a set-2 break prefix (F0) becomes the high bit of the next code.
 *
 * Only the keys in KEYS can be typed (the input script names them); the translation table
 * covers exactly those codes plus the set numbers 1–3 (the reply to F0 00).
 */
import { Ps2Queue } from './ps2-queue.js';

export const KBD_ACK = 0xfa;
export const KBD_RESEND = 0xfe;
export const KBD_POWER_ON_RESET = 0xaa;
const KBD_ECHO = 0xee;

const CMD_SET_LEDS = 0xed;
const CMD_ECHO = 0xee;
const CMD_SCANCODE = 0xf0;
const CMD_GET_ID = 0xf2;
const CMD_SET_RATE = 0xf3;
const CMD_ENABLE = 0xf4;
const CMD_RESET_DISABLE = 0xf5;
const CMD_RESET_ENABLE = 0xf6;
const CMD_SET_TYPEMATIC = 0xfa;
const CMD_SET_MAKE_BREAK = 0xfb;
const CMD_RESET = 0xff;

/** A key: its set-1 and set-2 make codes and whether both carry the E0 prefix. */
export interface KeyCode {
  readonly set1: number;
  readonly set2: number;
  readonly extended: boolean;
}

const key = (set1: number, set2: number, extended = false): KeyCode => ({ set1, set2, extended });

/** The keys an input script may name (lower-case), with their scan codes (IBM PC AT / MF2 tables). */
export const KEYS: ReadonlyMap<string, KeyCode> = new Map([
  ['escape', key(0x01, 0x76)],
  ['1', key(0x02, 0x16)], ['2', key(0x03, 0x1e)], ['3', key(0x04, 0x26)], ['4', key(0x05, 0x25)],
  ['5', key(0x06, 0x2e)], ['6', key(0x07, 0x36)], ['7', key(0x08, 0x3d)], ['8', key(0x09, 0x3e)],
  ['9', key(0x0a, 0x46)], ['0', key(0x0b, 0x45)],
  ['backspace', key(0x0e, 0x66)], ['tab', key(0x0f, 0x0d)],
  ['q', key(0x10, 0x15)], ['w', key(0x11, 0x1d)], ['e', key(0x12, 0x24)], ['r', key(0x13, 0x2d)],
  ['t', key(0x14, 0x2c)], ['y', key(0x15, 0x35)], ['u', key(0x16, 0x3c)], ['i', key(0x17, 0x43)],
  ['o', key(0x18, 0x44)], ['p', key(0x19, 0x4d)],
  ['enter', key(0x1c, 0x5a)], ['ctrl', key(0x1d, 0x14)],
  ['a', key(0x1e, 0x1c)], ['s', key(0x1f, 0x1b)], ['d', key(0x20, 0x23)], ['f', key(0x21, 0x2b)],
  ['g', key(0x22, 0x34)], ['h', key(0x23, 0x33)], ['j', key(0x24, 0x3b)], ['k', key(0x25, 0x42)],
  ['l', key(0x26, 0x4b)],
  ['shift', key(0x2a, 0x12)],
  ['z', key(0x2c, 0x1a)], ['x', key(0x2d, 0x22)], ['c', key(0x2e, 0x21)], ['v', key(0x2f, 0x2a)],
  ['b', key(0x30, 0x32)], ['n', key(0x31, 0x31)], ['m', key(0x32, 0x3a)],
  ['alt', key(0x38, 0x11)], ['space', key(0x39, 0x29)],
  ['up', key(0x48, 0x75, true)], ['left', key(0x4b, 0x6b, true)], ['right', key(0x4d, 0x74, true)], ['down', key(0x50, 0x72, true)],
]);

/** The 8042's set 2 → set 1 translation, for the codes this keyboard can send. */
const TRANSLATE = new Uint8Array(256).fill(0xff);
TRANSLATE[1] = 0x43;
TRANSLATE[2] = 0x41;
TRANSLATE[3] = 0x3f;
TRANSLATE[0xe0] = 0xe0;
for (const k of KEYS.values()) TRANSLATE[k.set2] = k.set1;

export class Ps2Keyboard {
  readonly queue = new Ps2Queue();
  /** Set by the controller from its command byte (bit 6). */
  translate = false;
  private scanEnabled = true;
  private scancodeSet = 2;
  private writeCmd = -1;
  /** A set-2 break prefix seen while translating: the next code gets the high bit. */
  private breakPending = false;
  leds = 0;
  /** The reply to the byte being handled, queued in front when it is complete. */
  private readonly replies: number[] = [];

  /** The controller calls this whenever the queue may have changed (level = bytes waiting). */
  constructor(private readonly onQueueChange: () => void) {}

  /** Whether key events are accepted now (scanning on, and room for `bytes`). */
  canAcceptKey(bytes: number): boolean {
    return this.scanEnabled && this.queue.hasRoomForEvent(bytes);
  }

  /** Bytes one press or release of `k` puts in the queue. */
  static bytesFor(k: KeyCode, down: boolean): number {
    return (k.extended ? 1 : 0) + (down ? 1 : 2);
  }

  /** A key press or release (stamp: host ns of the injection, for latency). */
  keyEvent(k: KeyCode, down: boolean, stamp = 0): void {
    if (!this.scanEnabled) return;
    const codes: number[] = [];
    if (this.scancodeSet === 1) {
      if (k.extended) codes.push(0xe0);
      codes.push(down ? k.set1 : k.set1 | 0x80);
    } else {
      // Set 2 (set 3 is not modelled: its codes are sent as set 2).
      if (k.extended) codes.push(0xe0);
      if (!down) codes.push(0xf0);
      codes.push(k.set2);
    }
    let first = true;
    for (const c of codes) {
      if (this.putCode(c, first ? stamp : 0)) first = false;
    }
    this.onQueueChange();
  }

  /** A byte from the guest (through port 0x60 with no controller command pending). */
  write(value: number): void {
    const v = value & 0xff;
    this.queue.discardFrontReplies();
    this.replies.length = 0;
    switch (this.writeCmd) {
      case CMD_SCANCODE:
        if (v === 0) {
          this.replies.push(KBD_ACK);
          this.replies.push(this.translate ? TRANSLATE[this.scancodeSet]! : this.scancodeSet);
        } else if (v >= 1 && v <= 3) {
          this.scancodeSet = v;
          this.replies.push(KBD_ACK);
        } else {
          this.replies.push(KBD_RESEND);
        }
        this.writeCmd = -1;
        break;
      case CMD_SET_LEDS:
        this.leds = v & 7;
        this.replies.push(KBD_ACK);
        this.writeCmd = -1;
        break;
      case CMD_SET_RATE:
      case CMD_SET_MAKE_BREAK:
        this.replies.push(KBD_ACK);
        this.writeCmd = -1;
        break;
      default:
        this.command(v);
    }
    this.queue.pushRepliesInFront(this.replies);
    this.onQueueChange();
  }

  /** Power-on state (the controller's reset). */
  reset(): void {
    this.resetKeyboard();
    this.writeCmd = -1;
  }

  private command(v: number): void {
    switch (v) {
      case 0x00:
        this.replies.push(KBD_ACK);
        return;
      case 0x05:
        this.replies.push(KBD_RESEND);
        return;
      case CMD_GET_ID:
        this.replies.push(KBD_ACK);
        this.replies.push(0xab);
        this.replies.push(this.translate ? 0x41 : 0x83);
        return;
      case CMD_ECHO:
        this.replies.push(KBD_ECHO);
        return;
      case CMD_ENABLE:
        this.scanEnabled = true;
        this.replies.push(KBD_ACK);
        return;
      case CMD_SCANCODE:
      case CMD_SET_LEDS:
      case CMD_SET_RATE:
      case CMD_SET_MAKE_BREAK:
        this.writeCmd = v;
        this.replies.push(KBD_ACK);
        return;
      case CMD_RESET_DISABLE:
        this.resetKeyboard();
        this.scanEnabled = false;
        this.replies.push(KBD_ACK);
        return;
      case CMD_RESET_ENABLE:
        this.resetKeyboard();
        this.replies.push(KBD_ACK);
        return;
      case CMD_RESET:
        this.resetKeyboard();
        this.replies.push(KBD_ACK);
        this.replies.push(KBD_POWER_ON_RESET);
        return;
      case CMD_SET_TYPEMATIC:
        this.replies.push(KBD_ACK);
        return;
      default:
        this.replies.push(KBD_RESEND);
    }
  }

  private resetKeyboard(): void {
    this.scanEnabled = true;
    this.scancodeSet = 2;
    this.leds = 0;
    this.breakPending = false;
    this.queue.clear();
  }

  /** One set-2 (or set-1) byte into the queue, translated when asked. Returns whether a byte was queued. */
  private putCode(code: number, stamp: number): boolean {
    if (this.scancodeSet !== 1 && this.translate) {
      if (code === 0xf0) {
        this.breakPending = true;
        return false;
      }
      const t = TRANSLATE[code]!;
      const byte = this.breakPending ? t | 0x80 : t;
      this.breakPending = false;
      return this.queue.pushEvent(byte, stamp);
    }
    return this.queue.pushEvent(code, stamp);
  }
}
