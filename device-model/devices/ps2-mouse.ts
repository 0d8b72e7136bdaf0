/**
 * A PS/2 mouse on the i8042's aux port, with QEMU ps2.c's command set (checked against
 * qemu-system-i386 7.2: FF → FA AA 00, F2 → FA 00, E9 → FA status resolution rate, EB → FA and a
 * packet, EE/EC wrap mode echoing, an unknown command answered by nothing, a pending F3/E8
 * argument taking the next byte whatever it is) and its IntelliMouse detection (rates 200, 100,
 * 80 → ID 3; 200, 200, 80 → ID 4, whose fourth byte is then sent as QEMU does).
 *
 * Packets: one per input event, 3 bytes (4 with an IntelliMouse ID): buttons in bits 0–2, bit 3
 * always set, the X and Y sign bits 4 and 5, the overflow bits 6 and 7; then the low 8 bits of X
 * and of Y. Y counts upwards (a move down the screen is negative), as on the wire. A delta
 * outside the 9-bit range −256..255 is sent saturated with its overflow bit set, as a real mouse
 * does; QEMU instead clamps at ±127 and carries the rest into further packets, which would turn
 * one event into several.
 */
import { Ps2Queue } from './ps2-queue.js';

export const AUX_ACK = 0xfa;

const AUX_SET_SCALE11 = 0xe6;
const AUX_SET_SCALE21 = 0xe7;
const AUX_SET_RES = 0xe8;
const AUX_GET_SCALE = 0xe9;
const AUX_SET_STREAM = 0xea;
const AUX_POLL = 0xeb;
const AUX_RESET_WRAP = 0xec;
const AUX_SET_WRAP = 0xee;
const AUX_SET_REMOTE = 0xf0;
const AUX_GET_TYPE = 0xf2;
const AUX_SET_SAMPLE = 0xf3;
const AUX_ENABLE_DEV = 0xf4;
const AUX_DISABLE_DEV = 0xf5;
const AUX_SET_DEFAULT = 0xf6;
const AUX_RESET = 0xff;

export const MOUSE_STATUS_REMOTE = 0x40;
export const MOUSE_STATUS_ENABLED = 0x20;
export const MOUSE_STATUS_SCALE21 = 0x10;

export const PACKET_ALWAYS_ONE = 0x08;
export const PACKET_X_SIGN = 0x10;
export const PACKET_Y_SIGN = 0x20;
export const PACKET_X_OVERFLOW = 0x40;
export const PACKET_Y_OVERFLOW = 0x80;

export const BUTTON_LEFT = 1;
export const BUTTON_RIGHT = 2;
export const BUTTON_MIDDLE = 4;

/** The first byte and the two delta bytes of a 3-byte packet for a move and a button state. */
export function encodePacket(dx: number, dy: number, buttons: number): [number, number, number] {
  let b = PACKET_ALWAYS_ONE | (buttons & 7);
  const x = saturate9(dx);
  const y = saturate9(dy);
  if (x !== dx) b |= PACKET_X_OVERFLOW;
  if (y !== dy) b |= PACKET_Y_OVERFLOW;
  if (x < 0) b |= PACKET_X_SIGN;
  if (y < 0) b |= PACKET_Y_SIGN;
  return [b, x & 0xff, y & 0xff];
}

function saturate9(v: number): number {
  return v > 255 ? 255 : v < -256 ? -256 : v;
}

export class Ps2Mouse {
  readonly queue = new Ps2Queue();
  status = 0;
  resolution = 2;
  sampleRate = 100;
  /** 0 = standard PS/2, 3 = IntelliMouse, 4 = IntelliMouse Explorer. */
  type = 0;
  private wrap = false;
  private writeCmd = -1;
  private detectState = 0;
  private buttons = 0;

  constructor(private readonly onQueueChange: () => void) {}

  get packetBytes(): number {
    return this.type === 0 ? 3 : 4;
  }

  /** Stream mode with data reporting on: packets are sent as events happen. */
  get reporting(): boolean {
    return (this.status & (MOUSE_STATUS_ENABLED | MOUSE_STATUS_REMOTE)) === MOUSE_STATUS_ENABLED;
  }

  /** Whether an event would be sent now (reporting, and room for a whole packet). */
  canAcceptEvent(): boolean {
    return this.reporting && this.queue.hasRoomForEvent(this.packetBytes);
  }

  /**
   * A pointer event: a relative move (Y up-positive, as on the wire) and the button state after
   * it. One packet when reporting; nothing otherwise (the caller holds events it wants kept).
   */
  event(dx: number, dy: number, buttons: number, stamp = 0): void {
    this.buttons = buttons & 7;
    if (!this.reporting) return;
    this.sendPacket(dx, dy, stamp);
    this.onQueueChange();
  }

  /** A byte from the guest, sent with the controller's D4 command. */
  write(value: number): void {
    const v = value & 0xff;
    const q = this.queue;
    if (this.writeCmd === AUX_SET_SAMPLE) {
      this.sampleRate = v;
      this.detect(v);
      q.pushReply(AUX_ACK);
      this.writeCmd = -1;
    } else if (this.writeCmd === AUX_SET_RES) {
      this.resolution = v;
      q.pushReply(AUX_ACK);
      this.writeCmd = -1;
    } else {
      this.command(v);
    }
    this.onQueueChange();
  }

  /** Power-on state (the controller's reset). */
  reset(): void {
    this.defaults();
    this.type = 0;
    this.wrap = false;
    this.writeCmd = -1;
    this.detectState = 0;
    this.buttons = 0;
    this.queue.clear();
  }

  private command(v: number): void {
    const q = this.queue;
    if (this.wrap) {
      if (v === AUX_RESET_WRAP) {
        this.wrap = false;
        q.pushReply(AUX_ACK);
        return;
      }
      if (v !== AUX_RESET) {
        q.pushReply(v);
        return;
      }
    }
    switch (v) {
      case AUX_SET_SCALE11:
        this.status &= ~MOUSE_STATUS_SCALE21;
        q.pushReply(AUX_ACK);
        return;
      case AUX_SET_SCALE21:
        this.status |= MOUSE_STATUS_SCALE21;
        q.pushReply(AUX_ACK);
        return;
      case AUX_SET_STREAM:
        this.status &= ~MOUSE_STATUS_REMOTE;
        q.pushReply(AUX_ACK);
        return;
      case AUX_SET_WRAP:
        this.wrap = true;
        q.pushReply(AUX_ACK);
        return;
      case AUX_SET_REMOTE:
        this.status |= MOUSE_STATUS_REMOTE;
        q.pushReply(AUX_ACK);
        return;
      case AUX_GET_TYPE:
        q.pushReply(AUX_ACK);
        q.pushReply(this.type);
        return;
      case AUX_SET_RES:
      case AUX_SET_SAMPLE:
        this.writeCmd = v;
        q.pushReply(AUX_ACK);
        return;
      case AUX_GET_SCALE:
        q.pushReply(AUX_ACK);
        q.pushReply(this.status);
        q.pushReply(this.resolution);
        q.pushReply(this.sampleRate);
        return;
      case AUX_POLL:
        q.pushReply(AUX_ACK);
        this.sendPacket(0, 0, 0);
        return;
      case AUX_ENABLE_DEV:
        this.status |= MOUSE_STATUS_ENABLED;
        q.pushReply(AUX_ACK);
        return;
      case AUX_DISABLE_DEV:
        this.status &= ~MOUSE_STATUS_ENABLED;
        q.pushReply(AUX_ACK);
        return;
      case AUX_SET_DEFAULT:
        this.defaults();
        q.pushReply(AUX_ACK);
        return;
      case AUX_RESET:
        this.defaults();
        this.type = 0;
        this.queue.clear();
        q.pushReply(AUX_ACK);
        q.pushReply(0xaa);
        q.pushReply(this.type);
        return;
      default:
        return; // QEMU answers nothing
    }
  }

  private defaults(): void {
    this.sampleRate = 100;
    this.resolution = 2;
    this.status = 0;
  }

  /** QEMU's IntelliMouse detection from the last three sample rates. */
  private detect(rate: number): void {
    switch (this.detectState) {
      case 1:
        this.detectState = rate === 100 ? 2 : rate === 200 ? 3 : 0;
        return;
      case 2:
        if (rate === 80) this.type = 3;
        this.detectState = 0;
        return;
      case 3:
        if (rate === 80) this.type = 4;
        this.detectState = 0;
        return;
      default:
        if (rate === 200) this.detectState = 1;
    }
  }

  private sendPacket(dx: number, dy: number, stamp: number): void {
    const [b0, b1, b2] = encodePacket(dx, dy, this.buttons);
    const q = this.queue;
    q.pushEvent(b0, stamp);
    q.pushEvent(b1);
    q.pushEvent(b2);
    if (this.type === 3) q.pushEvent(0);
    else if (this.type === 4) q.pushEvent((this.buttons & 0x18) << 1);
  }
}
