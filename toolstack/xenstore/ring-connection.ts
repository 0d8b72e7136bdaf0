/**
 * xenstored's end of one domain's ring page (shared/xenstore-wire.ts; docs/misc/xenstore-ring.txt):
 * it assembles requests from the byte stream, hands each complete one to the daemon, and queues
 * replies and watch events until the guest has made room for them.
 *
 * The guest is not trusted. A bad index (a producer more than a ring ahead of its consumer) or a
 * header announcing more than XENSTORE_PAYLOAD_MAX bytes puts the reason in the page's error
 * field, drops the connection's state and stops serving the ring — the connection is reset, the
 * daemon and the other domains carry on. The guest recovers through the reconnection handshake
 * (connection = RECONNECT → xenstored empties both queues, zeroes the indices and the error,
 * writes CONNECTED); letting the handshake clear an error is hvmsim's choice, the header leaves it
 * open. While `outstanding` replies wait for the guest, no further request is read.
 */
import {
  BAD_RING_INDEX,
  decodeHeader,
  XENSTORE_CONNECTED,
  XENSTORE_ERROR_NONE,
  XENSTORE_ERROR_PROTO,
  XENSTORE_ERROR_RINGIDX,
  XENSTORE_PAYLOAD_MAX,
  XENSTORE_RECONNECT,
  XENSTORE_SERVER_FEATURE_ERROR,
  XENSTORE_SERVER_FEATURE_RECONNECTION,
  XSD_SOCKMSG_BYTES,
  type XenstoreRingPage,
  type XsHeader,
} from '../../shared/xenstore-wire.js';

export interface RingHandlers {
  /** A complete request; the payload is a private copy. */
  request(header: XsHeader, payload: Uint8Array): void;
  /** The connection was reset — by an error (XENSTORE_ERROR_*) or the guest's reconnect (0): drop its watches and transactions. */
  reset(error: number): void;
  /** Tell the guest something changed on its page (its store event channel). */
  notify(): void;
}

/** Requests handled per service() call, so one busy domain cannot hold the daemon. */
const REQUESTS_PER_SERVICE = 64;

interface Queued {
  readonly bytes: Uint8Array;
  readonly event: boolean;
  sent: number;
}

export class RingConnection {
  private readonly header = new Uint8Array(XSD_SOCKMSG_BYTES);
  private headerFill = 0;
  private pending: { header: XsHeader; payload: Uint8Array; fill: number } | undefined;
  private readonly out: Queued[] = [];
  private queuedReplies = 0;
  private queuedEvents = 0;
  /** The error that stopped this connection, XENSTORE_ERROR_NONE while it is served. */
  stoppedBy = XENSTORE_ERROR_NONE;
  droppedEvents = 0;

  constructor(
    readonly page: XenstoreRingPage,
    private readonly handlers: RingHandlers,
    private readonly limits: { outstanding: number; queuedWatchEvents: number },
  ) {
    page.store('serverFeatures', XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR);
  }

  /** Queue a reply (event = false) or a watch event for the guest. */
  send(bytes: Uint8Array, event: boolean): void {
    if (this.stoppedBy !== XENSTORE_ERROR_NONE) return;
    if (event) {
      if (this.limits.queuedWatchEvents !== 0 && this.queuedEvents >= this.limits.queuedWatchEvents) {
        this.droppedEvents++;
        return;
      }
      this.queuedEvents++;
    } else {
      this.queuedReplies++;
    }
    this.out.push({ bytes, event, sent: 0 });
    // Output caused by another connection's request (a watch event) goes out now; inside
    // service() the loop flushes and notifies once.
    if (!this.inService && this.flush()) this.handlers.notify();
  }

  private inService = false;

  /**
   * Serve the ring: the reconnection handshake, queued output, then up to REQUESTS_PER_SERVICE
   * requests. Returns true when it stopped with requests possibly left (call again).
   */
  service(): boolean {
    this.inService = true;
    try {
      return this.serviceRing();
    } finally {
      this.inService = false;
    }
  }

  private serviceRing(): boolean {
    if (this.page.load('connection') === XENSTORE_RECONNECT) {
      this.reconnect();
      return false;
    }
    if (this.stoppedBy !== XENSTORE_ERROR_NONE) return false;
    let moved = this.flush();
    let handled = 0;
    while (this.stoppedBy === XENSTORE_ERROR_NONE) {
      if (handled >= REQUESTS_PER_SERVICE) {
        if (moved) this.handlers.notify();
        return true;
      }
      if (this.limits.outstanding !== 0 && this.queuedReplies >= this.limits.outstanding) break;
      if (!this.pending) {
        const avail = this.page.requestBytesAvailable();
        if (avail === BAD_RING_INDEX) return this.stop(XENSTORE_ERROR_RINGIDX);
        if (avail === 0) break;
        const n = this.page.takeRequestBytes(this.header.subarray(this.headerFill));
        this.headerFill += n;
        moved ||= n > 0;
        if (this.headerFill < XSD_SOCKMSG_BYTES) continue;
        const header = decodeHeader(this.header);
        if (header.len > XENSTORE_PAYLOAD_MAX) return this.stop(XENSTORE_ERROR_PROTO);
        this.pending = { header, payload: new Uint8Array(header.len), fill: 0 };
      }
      // A request with no payload is complete with its header and needs no more bytes.
      const p = this.pending;
      if (p.fill < p.payload.length) {
        const avail = this.page.requestBytesAvailable();
        if (avail === BAD_RING_INDEX) return this.stop(XENSTORE_ERROR_RINGIDX);
        if (avail === 0) break;
        const n = this.page.takeRequestBytes(p.payload.subarray(p.fill));
        p.fill += n;
        moved ||= n > 0;
        if (p.fill < p.payload.length) continue;
      }
      this.pending = undefined;
      this.headerFill = 0;
      handled++;
      this.handlers.request(p.header, p.payload);
      moved = this.flush() || moved;
    }
    if (this.stoppedBy === XENSTORE_ERROR_NONE) moved = this.flush() || moved;
    if (moved) this.handlers.notify();
    return false;
  }

  /** Copy queued output into the response ring; true when any byte moved. */
  private flush(): boolean {
    let moved = false;
    while (this.out.length > 0) {
      const space = this.page.responseSpace();
      if (space === BAD_RING_INDEX) {
        this.stop(XENSTORE_ERROR_RINGIDX);
        return true;
      }
      if (space === 0) break;
      const q = this.out[0]!;
      const n = this.page.giveResponseBytes(q.bytes.subarray(q.sent));
      q.sent += n;
      moved ||= n > 0;
      if (q.sent < q.bytes.length) break;
      this.out.shift();
      if (q.event) this.queuedEvents--;
      else this.queuedReplies--;
    }
    return moved;
  }

  private dropState(): void {
    this.header.fill(0);
    this.headerFill = 0;
    this.pending = undefined;
    this.out.length = 0;
    this.queuedReplies = 0;
    this.queuedEvents = 0;
  }

  private stop(error: number): false {
    this.stoppedBy = error;
    this.page.store('error', error);
    this.dropState();
    this.handlers.reset(error);
    this.handlers.notify();
    return false;
  }

  private reconnect(): void {
    this.dropState();
    this.page.resetIndices();
    this.page.store('error', XENSTORE_ERROR_NONE);
    this.stoppedBy = XENSTORE_ERROR_NONE;
    this.handlers.reset(XENSTORE_ERROR_NONE);
    this.page.store('connection', XENSTORE_CONNECTED);
    this.handlers.notify();
  }
}
