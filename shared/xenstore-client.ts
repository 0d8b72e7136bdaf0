/**
 * A XenStore client: requests out, replies matched by req_id, watch events kept aside
 * (shared/xenstore-wire.ts; docs/misc/xenstore.txt). It talks through a transport: a ring page
 * (RingTransport, what a guest's xenbus does) or any other carrier of whole messages (the
 * toolstack's in-process connection). Used by tests, benchmarks and the toolstack.
 */
import {
  bytesToString,
  decodeHeader,
  encodeMessage,
  nulStrings,
  splitNul,
  writePayload,
  XenstoreRingPage,
  XS_DIRECTORY,
  XS_ERROR,
  XS_GET_DOMAIN_PATH,
  XS_GET_PERMS,
  XS_INTRODUCE,
  XS_MKDIR,
  XS_READ,
  XS_RELEASE,
  XS_RM,
  XS_SET_PERMS,
  XS_TRANSACTION_END,
  XS_TRANSACTION_START,
  XS_UNWATCH,
  XS_WATCH,
  XS_WATCH_EVENT,
  XS_WRITE,
  XSD_SOCKMSG_BYTES,
} from './xenstore-wire.js';

export interface XsReply {
  readonly type: number;
  readonly reqId: number;
  readonly txId: number;
  readonly payload: Uint8Array;
}

export interface XsTransport {
  send(message: Uint8Array): void;
  /** The next message from xenstored, or undefined when none came (waiting for one unless `wait` is false). */
  receive(wait: boolean): XsReply | undefined;
}

/** An ERROR reply, with the errno name xenstored sent. */
export class XsClientError extends Error {
  constructor(readonly code: string) {
    super(`xenstore: ${code}`);
  }
}

export interface XsWatchEvent {
  readonly path: string;
  readonly token: string;
}

export class XenstoreClient {
  private nextReqId = 1;
  /** Watch events received so far, oldest first; the caller takes them. */
  readonly events: XsWatchEvent[] = [];

  constructor(private readonly transport: XsTransport) {}

  /** Send one request and wait for its reply (an ERROR reply too: it is returned, not thrown). */
  request(type: number, payload: Uint8Array, txId = 0): XsReply {
    const reqId = this.nextReqId++ >>> 0;
    this.transport.send(encodeMessage(type, reqId, txId, payload));
    for (;;) {
      const m = this.transport.receive(true);
      if (!m) throw new Error(`xenstore: no reply to request ${reqId} (type ${type})`);
      if (m.type === XS_WATCH_EVENT) {
        const { parts } = splitNul(m.payload);
        this.events.push({ path: parts[0] ?? '', token: parts[1] ?? '' });
        continue;
      }
      if (m.reqId === reqId) return m;
    }
  }

  /** Take whatever has arrived without a request (watch events). */
  poll(): void {
    for (let m = this.transport.receive(false); m; m = this.transport.receive(false)) {
      if (m.type !== XS_WATCH_EVENT) continue;
      const { parts } = splitNul(m.payload);
      this.events.push({ path: parts[0] ?? '', token: parts[1] ?? '' });
    }
  }

  /** The reply's payload, or XsClientError for an ERROR reply. */
  call(type: number, payload: Uint8Array, txId = 0): Uint8Array {
    const r = this.request(type, payload, txId);
    if (r.type === XS_ERROR) throw new XsClientError(splitNul(r.payload).parts[0] ?? '?');
    return r.payload;
  }

  read(path: string, tx = 0): string {
    return bytesToString(this.call(XS_READ, nulStrings(path), tx));
  }
  write(path: string, value: string | Uint8Array, tx = 0): void {
    this.call(XS_WRITE, writePayload(path, value), tx);
  }
  mkdir(path: string, tx = 0): void {
    this.call(XS_MKDIR, nulStrings(path), tx);
  }
  rm(path: string, tx = 0): void {
    this.call(XS_RM, nulStrings(path), tx);
  }
  directory(path: string, tx = 0): string[] {
    return splitNul(this.call(XS_DIRECTORY, nulStrings(path), tx)).parts;
  }
  getPerms(path: string, tx = 0): string[] {
    return splitNul(this.call(XS_GET_PERMS, nulStrings(path), tx)).parts;
  }
  setPerms(path: string, perms: string[], tx = 0): void {
    this.call(XS_SET_PERMS, nulStrings(path, ...perms), tx);
  }
  /** Register a watch; its first event (which xenstored sends right after the OK) is in `events` on return. */
  watch(path: string, token: string): void {
    this.call(XS_WATCH, nulStrings(path, token));
    this.poll();
  }
  unwatch(path: string, token: string): void {
    this.call(XS_UNWATCH, nulStrings(path, token));
  }
  transactionStart(): number {
    return Number(splitNul(this.call(XS_TRANSACTION_START, nulStrings(''))).parts[0]);
  }
  /** Commit (true) or abort; a conflicting commit throws XsClientError('EAGAIN'). */
  transactionEnd(tx: number, commit: boolean): void {
    this.call(XS_TRANSACTION_END, nulStrings(commit ? 'T' : 'F'), tx);
  }
  getDomainPath(domid: number): string {
    return splitNul(this.call(XS_GET_DOMAIN_PATH, nulStrings(String(domid)))).parts[0]!;
  }
  introduce(domid: number, gfn: number, port: number): void {
    this.call(XS_INTRODUCE, nulStrings(String(domid), String(gfn), String(port)));
  }
  release(domid: number): void {
    this.call(XS_RELEASE, nulStrings(String(domid)));
  }
}

/**
 * The guest's side of a ring page. `wake` is called when the client needs xenstored to move
 * (it wrote a request, or waits for a reply): in the same thread it runs the daemon, across
 * threads it notifies and waits. A reply that has not come after `patience` wakes is reported
 * as none.
 */
export class RingTransport implements XsTransport {
  private readonly header = new Uint8Array(XSD_SOCKMSG_BYTES);

  constructor(
    readonly page: XenstoreRingPage,
    private readonly wake: () => void,
    private readonly patience = 1000,
  ) {}

  send(message: Uint8Array): void {
    let sent = 0;
    let idle = 0;
    while (sent < message.length) {
      const n = this.page.giveRequestBytes(message.subarray(sent));
      sent += n;
      this.wake();
      idle = n > 0 ? 0 : idle + 1;
      if (idle > this.patience) throw new Error('xenstore: the request ring stays full');
    }
  }

  receive(wait: boolean): XsReply | undefined {
    if (!this.fill(this.header, wait ? this.patience : 1)) return undefined;
    const h = decodeHeader(this.header);
    const payload = new Uint8Array(Math.min(h.len, 1 << 16));
    if (!this.fill(payload, this.patience)) throw new Error('xenstore: a message stopped half way on the response ring');
    return { type: h.type, reqId: h.reqId, txId: h.txId, payload };
  }

  /** Fill dst from the response ring, waking xenstored while it is short. */
  private fill(dst: Uint8Array, patience: number): boolean {
    let got = 0;
    let idle = 0;
    while (got < dst.length) {
      const n = this.page.takeResponseBytes(dst.subarray(got));
      got += n;
      if (got === dst.length) break;
      this.wake();
      idle = n > 0 ? 0 : idle + 1;
      if (idle > patience) {
        if (got === 0) return false;
        throw new Error('xenstore: a message stopped half way on the response ring');
      }
    }
    return true;
  }
}
