/**
 * The device model's messages to the toolstack (shared/control-messages.ts): ready, console
 * output, shutdown and crash. Console bytes are batched, because a guest prints a byte per
 * ioreq and a message costs microseconds: the batch goes out when it reaches 4 KiB, before the
 * loop sleeps, and ahead of any shutdown or crash so the toolstack sees output in order.
 *
 * Shutdown and crash messages are posted from inside the ioreq that caused them, before the
 * device model answers it: qemu-dm checks its shutdown/reset flags before IORESP_READY so the
 * toolstack learns first (Xen's arch/x86/hvm and QEMU's xen-hvm shutdown path).
 *
 * Posting never throws: the loop that calls it must not (a message that cannot be sent is
 * counted in `dropped`).
 */
import { encodeControlMessage, type ControlMessage, type ShutdownReason } from '../shared/control-messages.js';

export type PostBytes = (bytes: Uint8Array) => void;

/** Console batch size: a batch is posted once it holds this many bytes. */
export const CONSOLE_BATCH_BYTES = 4096;
/** Longest crash reason the control-message schema accepts. */
const MAX_REASON = 1024;

export class ToolstackOutbox {
  /** Messages that could not be encoded or posted. */
  dropped = 0;
  private readonly batch = new Uint8Array(CONSOLE_BATCH_BYTES);
  private batched = 0;
  private shutdownPosted = false;
  /** Called before a shutdown is posted (the device model marks the domain shut down: Xen's remote_shutdown). */
  onShutdown: () => void = () => {};

  constructor(
    private readonly domid: number,
    private readonly post: PostBytes,
  ) {}

  /** Console bytes waiting for the next flush. */
  get batchedBytes(): number {
    return this.batched;
  }

  ready(): void {
    this.send({ kind: 'ready', domid: this.domid });
  }

  /** Guest console bytes (the array is only valid during the call). */
  console(bytes: Uint8Array): void {
    const batch = this.batch;
    for (let i = 0; i < bytes.length; i++) {
      batch[this.batched++] = bytes[i]!;
      if (this.batched === CONSOLE_BATCH_BYTES) this.flushConsole();
    }
  }

  /** Post the console bytes batched so far, if any. */
  flushConsole(): void {
    if (this.batched === 0) return;
    // The encoder copies the bytes, so the batch buffer can be reused at once.
    const bytes = this.batch.subarray(0, this.batched);
    this.batched = 0;
    this.send({ kind: 'console', domid: this.domid, bytes });
  }

  /**
   * The guest asked to power off or reset (or to exit with a status, isa-debug-exit). Only the
   * first request is posted, as QEMU's shutdown flag holds one: the domain is going away.
   */
  shutdown(reason: ShutdownReason, exitStatus?: number): void {
    this.flushConsole();
    if (this.shutdownPosted) return;
    this.shutdownPosted = true;
    this.onShutdown();
    this.send(exitStatus === undefined ? { kind: 'shutdown', domid: this.domid, reason } : { kind: 'shutdown', domid: this.domid, reason, exitStatus });
  }

  /**
   * The device model is crashing the domain (a malformed request, a corrupt ring, a protocol
   * violation, a device fault). It knows no guest EIP or instruction bytes; the hypervisor's
   * counters are the toolstack's to add.
   */
  crash(reason: string, vcpu: number): void {
    this.flushConsole();
    this.send({
      kind: 'crash',
      domid: this.domid,
      report: {
        reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason,
        vcpu,
        eip: 0,
        instructionBytes: new Uint8Array(0),
        exits: {},
      },
    });
  }

  private send(message: ControlMessage): void {
    try {
      this.post(encodeControlMessage(message));
    } catch {
      this.dropped++;
    }
  }
}
