/**
 * The toolstack's own XenStore client: shared/xenstore-client.ts over the daemon's in-process
 * connection (xenstored's Unix socket in Xen), acting as the privileged domain 0 unless told
 * otherwise. Replies arrive synchronously, so receive() never waits.
 */
import { XenstoreClient, type XsReply, type XsTransport } from '../../shared/xenstore-client.js';
import { decodeHeader } from '../../shared/xenstore-wire.js';
import { PRIVILEGED_DOMID } from './permissions.js';
import type { LocalConnection, Xenstored } from './xenstored.js';

class LocalTransport implements XsTransport {
  private readonly inbox: XsReply[] = [];
  private readonly conn: LocalConnection;

  constructor(daemon: Xenstored, domid: number) {
    this.conn = daemon.connectLocal((m) => this.inbox.push(m), domid);
  }

  send(message: Uint8Array): void {
    const h = decodeHeader(message);
    this.conn.request(h.type, message.subarray(16, 16 + h.len), h.txId, h.reqId);
  }

  receive(): XsReply | undefined {
    return this.inbox.shift();
  }

  close(): void {
    this.conn.close();
  }
}

export function localXenstoreClient(daemon: Xenstored, domid = PRIVILEGED_DOMID): XenstoreClient & { close(): void } {
  const t = new LocalTransport(daemon, domid);
  return Object.assign(new XenstoreClient(t), { close: () => t.close() });
}
