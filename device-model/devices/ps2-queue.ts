/**
 * The byte queue of a PS/2 device (keyboard or mouse), sized as QEMU's: a 256-byte ring of which
 * input events (key codes, mouse packets) may fill 16 bytes (PS2_QUEUE_SIZE, "required by the
 * PS/2 protocol"), with 8 more bytes of headroom for command replies; anything beyond is dropped,
 * as QEMU drops it. The keyboard's command replies go in front of waiting key codes, and a new
 * command discards replies not read yet (QEMU's separate reply queue, checked against 7.2: F0 00
 * answers FA and the set, not FA FA set); the mouse's replies queue behind its packets. Each byte
 * may carry a host timestamp (ns, 0 for none): the time the event it starts was injected, for the
 * event-to-handler latency measurement.
 */

export const PS2_BUFFER_SIZE = 256;
/** Bytes input events may occupy. */
export const PS2_QUEUE_SIZE = 16;
/** Extra bytes a command reply may use beyond PS2_QUEUE_SIZE. */
export const PS2_QUEUE_HEADROOM = 8;

export class Ps2Queue {
  private readonly data = new Uint8Array(PS2_BUFFER_SIZE);
  private readonly stamps = new Float64Array(PS2_BUFFER_SIZE);
  private read = 0;
  private countValue = 0;
  /** The last byte taken: what a read of an empty queue returns again (QEMU does the same). */
  private last = 0;
  /** Command-reply bytes at the front, not read yet (front replies only). */
  private frontReplies = 0;
  /** Bytes dropped because the queue was full. */
  dropped = 0;

  get count(): number {
    return this.countValue;
  }

  /** Room for `n` more event bytes. */
  hasRoomForEvent(n: number): boolean {
    return this.countValue + n <= PS2_QUEUE_SIZE;
  }

  /** An input-event byte; dropped when the event part of the queue is full. */
  pushEvent(byte: number, stamp = 0): boolean {
    return this.push(byte, stamp, PS2_QUEUE_SIZE);
  }

  /** A command reply byte (ACK, ID, ...), which may use the headroom. */
  pushReply(byte: number): boolean {
    return this.push(byte, 0, PS2_QUEUE_SIZE + PS2_QUEUE_HEADROOM);
  }

  /** Command replies in front of everything waiting, in order (the keyboard's replies). */
  pushRepliesInFront(bytes: readonly number[]): void {
    const room = PS2_BUFFER_SIZE - this.countValue;
    const n = Math.min(bytes.length, room);
    this.dropped += bytes.length - n;
    this.read = (this.read - n + PS2_BUFFER_SIZE) % PS2_BUFFER_SIZE;
    for (let i = 0; i < n; i++) {
      const at = (this.read + i) % PS2_BUFFER_SIZE;
      this.data[at] = bytes[i]! & 0xff;
      this.stamps[at] = 0;
    }
    this.countValue += n;
    this.frontReplies += n;
  }

  /** Drop front replies the guest has not read (a new keyboard command supersedes them). */
  discardFrontReplies(): void {
    const n = this.frontReplies;
    this.read = (this.read + n) % PS2_BUFFER_SIZE;
    this.countValue -= n;
    this.frontReplies = 0;
  }

  /** The next byte's timestamp (0 when none, or when the queue is empty). */
  headStamp(): number {
    return this.countValue > 0 ? this.stamps[this.read]! : 0;
  }

  /** Take the next byte; an empty queue gives the last byte taken again. */
  take(): { byte: number; stamp: number } {
    if (this.countValue === 0) return { byte: this.last, stamp: 0 };
    const byte = this.data[this.read]!;
    const stamp = this.stamps[this.read]!;
    this.read = (this.read + 1) % PS2_BUFFER_SIZE;
    this.countValue--;
    if (this.frontReplies > 0) this.frontReplies--;
    this.last = byte;
    return { byte, stamp };
  }

  clear(): void {
    this.read = 0;
    this.countValue = 0;
    this.frontReplies = 0;
  }

  private push(byte: number, stamp: number, limit: number): boolean {
    if (this.countValue >= limit) {
      this.dropped++;
      return false;
    }
    const at = (this.read + this.countValue) % PS2_BUFFER_SIZE;
    this.data[at] = byte & 0xff;
    this.stamps[at] = stamp;
    this.countValue++;
    return true;
  }
}
