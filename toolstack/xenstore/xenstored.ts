/**
 * xenstored: the tree, the connections and the requests of the xs_wire protocol
 * (shared/xenstore-wire.ts; docs/misc/xenstore.txt; /work/shared/research/xen-abi-facts.md §6;
 * docs/architecture.md §10: a toolstack service).
 *
 * Each introduced domain has one connection, its ring page; the toolstack itself talks through a
 * local connection (xenstored's socket) as the privileged domain 0. Requests are answered in the
 * order they arrive; watch events go to every connection whose watch the change fires and whose
 * domain may read the node. Nothing a domain sends can throw out of here: a request that fails is
 * an ERROR reply with the errno name, a broken ring resets that domain's connection only, and an
 * unexpected exception in a handler is counted (`internalErrors`) and answered EINVAL, as
 * xenstored answers an error it has no name for.
 *
 * Event channels are not wired yet: the daemon tells a domain to look at its ring through the
 * injected notify(domid, port) — port being the store event channel INTRODUCE named — and is
 * told to look at a ring through kick(domid).
 */
import {
  encodeMessage,
  nulStrings,
  XENSTORE_ERROR_PROTO,
  XENSTORE_ERROR_RINGIDX,
  splitNul,
  XENSTORE_PAYLOAD_MAX,
  XenstoreRingPage,
  XS_DIRECTORY,
  XS_ERROR,
  XS_GET_DOMAIN_PATH,
  XS_GET_PERMS,
  XS_INTRODUCE,
  XS_IS_DOMAIN_INTRODUCED,
  XS_MKDIR,
  XS_READ,
  XS_RELEASE,
  XS_RESET_WATCHES,
  XS_RM,
  XS_SET_PERMS,
  XS_TRANSACTION_END,
  XS_TRANSACTION_START,
  XS_UNWATCH,
  XS_WATCH,
  XS_WATCH_EVENT,
  XS_WRITE,
  type XsHeader,
} from '../../shared/xenstore-wire.js';
import { domainPath, INTRODUCE_DOMAIN_WATCH, RELEASE_DOMAIN_WATCH, resolveNodePath, resolveWatchPath } from './paths.js';
import { canRead, formatPerm, parsePerm, PRIVILEGED_DOMID, type Perm } from './permissions.js';
import { DEFAULT_XS_QUOTAS, within, type XsQuotas } from './quotas.js';
import { RingConnection } from './ring-connection.js';
import { applyOp, Transaction, type XsOp } from './transaction.js';
import { countNodes, Generations, initialRoot, missingError, TreeView, XsError, type XsChange, type XsNode } from './tree.js';
import { firedPath, type Watch } from './watches.js';

export interface XenstoredOptions {
  /** Tell domain `domid` to look at its ring: a send on `port`, the store event channel INTRODUCE named, once event channels are wired. */
  notify?: (domid: number, port: number) => void;
  /** Per-domain quotas; defaults DEFAULT_XS_QUOTAS. */
  quotas?: Partial<XsQuotas>;
  /**
   * INTRODUCE's domid|gfn|evtchn: the ring page at that guest frame. Without it INTRODUCE is
   * answered EINVAL and rings are attached with introduceRing().
   */
  mapRing?: (domid: number, gfn: number) => XenstoreRingPage | undefined;
}

/** A reply or event as a local connection receives it. */
export interface XsMessage {
  readonly type: number;
  readonly reqId: number;
  readonly txId: number;
  readonly payload: Uint8Array;
}

interface Connection {
  readonly domid: number;
  readonly watches: Watch[];
  readonly transactions: Map<number, Transaction>;
  readonly ring: RingConnection | undefined;
  readonly port: number;
  /** For a local connection: where replies and events go. */
  readonly sink: ((m: Uint8Array, event: boolean) => void) | undefined;
}

/** Counters for tests and the fuzz run. */
export interface XenstoredStats {
  requests: number;
  errorReplies: number;
  /** ERROR replies by errno name. */
  readonly errorsByCode: Record<string, number>;
  /** Exceptions that were not an XsError: a bug in a handler (answered EINVAL). */
  internalErrors: number;
  /** Rings stopped by an error (XENSTORE_ERROR_RINGIDX, _PROTO). */
  ringErrors: { ringIndex: number; protocol: number };
  /** Reconnection handshakes served. */
  reconnects: number;
  watchEvents: number;
}

export class Xenstored {
  private root: XsNode = initialRoot();
  private readonly gens = new Generations();
  private readonly owned = new Map<number, number>();
  private readonly conns = new Map<number, Connection>();
  private readonly locals = new Set<Connection>();
  private nextTxId = 1;
  private readonly quotas: XsQuotas;
  private readonly notifyDomain: (domid: number, port: number) => void;
  readonly stats: XenstoredStats = { requests: 0, errorReplies: 0, errorsByCode: {}, internalErrors: 0, ringErrors: { ringIndex: 0, protocol: 0 }, reconnects: 0, watchEvents: 0 };

  constructor(private readonly options: XenstoredOptions = {}) {
    this.quotas = { ...DEFAULT_XS_QUOTAS, ...options.quotas };
    this.notifyDomain = options.notify ?? (() => {});
    countNodes(this.root, this.owned, 1);
  }

  // ---- connections

  /** Attach a domain's ring page (what INTRODUCE does once the page is mapped). */
  introduceRing(domid: number, page: XenstoreRingPage, port = 0): void {
    if (this.conns.has(domid)) throw new XsError('EEXIST');
    const holder: { conn?: Connection } = {};
    const ring = new RingConnection(
      page,
      {
        request: (h, p) => this.handle(holder.conn!, h, p),
        reset: (error) => {
          if (error === XENSTORE_ERROR_RINGIDX) this.stats.ringErrors.ringIndex++;
          else if (error === XENSTORE_ERROR_PROTO) this.stats.ringErrors.protocol++;
          else this.stats.reconnects++;
          this.dropWatchesAndTransactions(holder.conn!);
        },
        notify: () => this.notifyDomain(domid, port),
      },
      this.quotas,
    );
    holder.conn = { domid, watches: [], transactions: new Map(), ring, port, sink: undefined };
    this.conns.set(domid, holder.conn);
    this.fireSpecial(INTRODUCE_DOMAIN_WATCH);
  }

  /** Forget a domain's connection, its watches and transactions (RELEASE; a destroyed domain). */
  release(domid: number): boolean {
    const c = this.conns.get(domid);
    if (!c) return false;
    this.conns.delete(domid);
    this.fireSpecial(RELEASE_DOMAIN_WATCH);
    return true;
  }

  isIntroduced(domid: number): boolean {
    return this.conns.has(domid);
  }

  /** The domain notified its ring: serve it. Returns true when requests may be left (call again). */
  kick(domid: number): boolean {
    return this.conns.get(domid)?.ring?.service() ?? false;
  }

  /** Serve every ring until none has work left. */
  serviceAll(): void {
    let more = true;
    while (more) {
      more = false;
      for (const c of [...this.conns.values()]) if (c.ring?.service()) more = true;
    }
  }

  /** The ring connection's state (its error, dropped events), for tests and the fuzz. */
  ringOf(domid: number): RingConnection | undefined {
    return this.conns.get(domid)?.ring;
  }

  /**
   * A connection inside the toolstack process, as xenstored's Unix socket: replies and events are
   * delivered synchronously to `sink`. Acts as `domid` (0, the privileged toolstack, by default).
   */
  connectLocal(sink: (message: XsMessage) => void, domid = PRIVILEGED_DOMID): LocalConnection {
    const conn: Connection = {
      domid,
      watches: [],
      transactions: new Map(),
      ring: undefined,
      port: 0,
      sink: (bytes) => {
        const v = new DataView(bytes.buffer, bytes.byteOffset);
        sink({ type: v.getUint32(0, true), reqId: v.getUint32(4, true), txId: v.getUint32(8, true), payload: bytes.subarray(16) });
      },
    };
    this.locals.add(conn);
    return {
      request: (type, payload, txId = 0, reqId = 0) => this.handle(conn, { type, reqId, txId, len: payload.length }, payload),
      close: () => {
        this.dropWatchesAndTransactions(conn);
        this.locals.delete(conn);
      },
    };
  }

  /** Nodes `domid` owns in the live tree. */
  nodesOwnedBy(domid: number): number {
    return this.owned.get(domid) ?? 0;
  }

  // ---- requests

  private handle(conn: Connection, h: XsHeader, payload: Uint8Array): void {
    this.stats.requests++;
    let reply: Uint8Array;
    try {
      reply = this.dispatch(conn, h, payload);
      if (reply.length > XENSTORE_PAYLOAD_MAX) throw new XsError('E2BIG');
    } catch (e) {
      let code = 'EINVAL';
      if (e instanceof XsError) code = e.code;
      else this.stats.internalErrors++;
      this.stats.errorReplies++;
      this.stats.errorsByCode[code] = (this.stats.errorsByCode[code] ?? 0) + 1;
      this.afterReply = undefined;
      this.deliver(conn, encodeMessage(XS_ERROR, h.reqId, h.txId, nulStrings(code)), false);
      return;
    }
    this.deliver(conn, encodeMessage(h.type, h.reqId, h.txId, reply), false);
    this.afterReply?.();
    this.afterReply = undefined;
  }

  /** Work that must follow the reply on the wire (WATCH's first event). */
  private afterReply: (() => void) | undefined;

  private dispatch(conn: Connection, h: XsHeader, payload: Uint8Array): Uint8Array {
    const caller = conn.domid;
    switch (h.type) {
      case XS_READ: {
        const path = this.onePath(payload, caller);
        const tx = this.txOf(conn, h);
        const n = tx ? tx.see(path) : this.live().get(path);
        return this.checkRead(n, caller, path, tx).value;
      }
      case XS_DIRECTORY: {
        const path = this.onePath(payload, caller);
        const tx = this.txOf(conn, h);
        const n = this.checkRead(tx ? tx.see(path) : this.live().get(path), caller, path, tx);
        return nulStrings(...n.children.keys());
      }
      case XS_GET_PERMS: {
        const path = this.onePath(payload, caller);
        const tx = this.txOf(conn, h);
        const n = this.checkRead(tx ? tx.see(path) : this.live().get(path), caller, path, tx);
        return nulStrings(...n.perms.map(formatPerm));
      }
      case XS_WRITE: {
        const nul = payload.indexOf(0);
        if (nul < 0) throw new XsError('EINVAL');
        const path = this.nodePath(splitNul(payload.subarray(0, nul + 1)).parts[0]!, caller);
        return this.change(conn, h, { kind: 'write', path, value: payload.slice(nul + 1) });
      }
      case XS_MKDIR:
        return this.change(conn, h, { kind: 'mkdir', path: this.onePath(payload, caller) });
      case XS_RM:
        return this.change(conn, h, { kind: 'rm', path: this.onePath(payload, caller) });
      case XS_SET_PERMS: {
        const { parts, rest } = splitNul(payload);
        if (rest.length !== 0 || parts.length < 2) throw new XsError('EINVAL');
        const path = this.nodePath(parts[0]!, caller);
        const perms: Perm[] = [];
        for (const t of parts.slice(1)) {
          const p = parsePerm(t);
          if (!p) throw new XsError('EINVAL');
          perms.push(p);
        }
        return this.change(conn, h, { kind: 'perms', path, perms });
      }
      case XS_WATCH:
        return this.watch(conn, payload);
      case XS_UNWATCH: {
        const [raw, token] = this.args(payload, 2);
        const path = resolveWatchPath(raw!, caller);
        if (path === undefined) throw new XsError('EINVAL');
        const i = conn.watches.findIndex((w) => w.path === path && w.token === token);
        if (i < 0) throw new XsError('ENOENT');
        conn.watches.splice(i, 1);
        return OK;
      }
      case XS_TRANSACTION_START: {
        if (h.txId !== 0) throw new XsError('EBUSY');
        if (caller !== PRIVILEGED_DOMID && !within(conn.transactions.size + 1, this.quotas.transactions)) throw new XsError('ENOSPC');
        const id = this.nextTxId;
        this.nextTxId = this.nextTxId >= 0x7fffffff ? 1 : this.nextTxId + 1;
        conn.transactions.set(id, new Transaction(id, caller, this.view(this.root)));
        return nulStrings(String(id));
      }
      case XS_TRANSACTION_END: {
        const tx = conn.transactions.get(h.txId);
        if (!tx) throw new XsError('ENOENT');
        const [verdict] = this.args(payload, 1);
        if (verdict !== 'T' && verdict !== 'F') throw new XsError('EINVAL');
        conn.transactions.delete(h.txId);
        if (verdict === 'T') this.commit(tx);
        return OK;
      }
      case XS_GET_DOMAIN_PATH: {
        const [id] = this.args(payload, 1);
        return nulStrings(domainPath(parseDomid(id!)));
      }
      case XS_INTRODUCE: {
        this.privileged(caller);
        const [d, gfn, port] = this.args(payload, 3);
        const domid = parseDomid(d!);
        const p = parseNumber(port!);
        const g = parseNumber(gfn!);
        if (p <= 0) throw new XsError('EINVAL');
        if (this.conns.has(domid)) return OK; // xenstored: a repeated INTRODUCE of a known domain is accepted
        const page = this.options.mapRing?.(domid, g);
        if (!page) throw new XsError('EINVAL');
        this.introduceRing(domid, page, p);
        return OK;
      }
      case XS_RELEASE: {
        this.privileged(caller);
        const [d] = this.args(payload, 1);
        if (!this.release(parseDomid(d!))) throw new XsError('ENOENT');
        return OK;
      }
      case XS_IS_DOMAIN_INTRODUCED: {
        this.privileged(caller);
        const [d] = this.args(payload, 1);
        return nulStrings(this.conns.has(parseDomid(d!)) ? 'T' : 'F');
      }
      case XS_RESET_WATCHES:
        this.dropWatchesAndTransactions(conn);
        return OK;
      default:
        // CONTROL, RESUME, SET_TARGET, DIRECTORY_PART, the feature and quota requests, and every
        // type a client has no business sending (WATCH_EVENT, ERROR, the removed 20, unknown).
        throw new XsError('ENOSYS');
    }
  }

  private watch(conn: Connection, payload: Uint8Array): Uint8Array {
    const { parts, rest } = splitNul(payload);
    // path|token| and an optional depth|, which hvmsim does not offer (no XENSTORE_SERVER_FEATURE watch depth).
    if (rest.length !== 0 || parts.length !== 2) throw new XsError('EINVAL');
    const [raw, token] = parts as [string, string];
    const path = resolveWatchPath(raw, conn.domid);
    if (path === undefined) throw new XsError('EINVAL');
    if (conn.watches.some((w) => w.path === path && w.token === token)) throw new XsError('EEXIST');
    if (conn.domid !== PRIVILEGED_DOMID && !within(conn.watches.length + 1, this.quotas.watches)) throw new XsError('ENOSPC');
    const w: Watch = { path, token, relative: !raw.startsWith('/') && !raw.startsWith('@') };
    conn.watches.push(w);
    // The first event follows the OK at once, with the path as the client gave it.
    this.afterReply = () => this.deliver(conn, encodeMessage(XS_WATCH_EVENT, 0, 0, nulStrings(raw, token)), true);
    return OK;
  }

  private change(conn: Connection, h: XsHeader, op: XsOp): Uint8Array {
    const tx = this.txOf(conn, h);
    if (tx) {
      tx.change(op, conn.domid === PRIVILEGED_DOMID ? 0 : this.quotas.transactionOps);
      return OK;
    }
    const view = this.live();
    applyOp(view, conn.domid, op);
    this.adopt(view);
    return OK;
  }

  private commit(tx: Transaction): void {
    if (tx.conflicts((p) => this.live().get(p))) throw new XsError('EAGAIN');
    const view = this.live();
    try {
      for (const op of tx.log) applyOp(view, tx.domid, op);
    } catch (e) {
      // The live tree moved on so that a change no longer applies: retry as for a conflict.
      if (e instanceof XsError) throw new XsError('EAGAIN');
      throw e;
    }
    this.adopt(view);
  }

  /** Make a view's result the live tree, count its nodes and fire its watches. */
  private adopt(view: TreeView): void {
    this.root = view.root;
    for (const [d, n] of view.ownerDelta) this.owned.set(d, (this.owned.get(d) ?? 0) + n);
    for (const c of view.changes) this.fire(c);
  }

  private fire(change: XsChange): void {
    for (const conn of this.allConnections()) {
      for (const w of conn.watches) {
        const path = firedPath(w, change, conn.domid);
        if (path !== undefined) this.deliver(conn, encodeMessage(XS_WATCH_EVENT, 0, 0, nulStrings(path, w.token)), true);
      }
    }
  }

  /** @introduceDomain and @releaseDomain reach only the privileged domain's watches. */
  private fireSpecial(name: string): void {
    for (const conn of this.allConnections()) {
      if (conn.domid !== PRIVILEGED_DOMID) continue;
      for (const w of conn.watches) if (w.path === name) this.deliver(conn, encodeMessage(XS_WATCH_EVENT, 0, 0, nulStrings(name, w.token)), true);
    }
  }

  private deliver(conn: Connection, bytes: Uint8Array, event: boolean): void {
    if (event) this.stats.watchEvents++;
    if (conn.sink) conn.sink(bytes, event);
    else conn.ring!.send(bytes, event);
  }

  private *allConnections(): Iterable<Connection> {
    yield* this.locals;
    yield* this.conns.values();
  }

  private dropWatchesAndTransactions(conn: Connection): void {
    conn.watches.length = 0;
    conn.transactions.clear();
  }

  // ---- helpers

  private live(): TreeView {
    return this.view(this.root);
  }

  private view(root: XsNode): TreeView {
    return new TreeView(root, this.gens, { owned: (d) => this.owned.get(d) ?? 0 }, (d) => (d === PRIVILEGED_DOMID ? NO_QUOTAS : this.quotas));
  }

  private txOf(conn: Connection, h: XsHeader): Transaction | undefined {
    if (h.txId === 0) return undefined;
    const tx = conn.transactions.get(h.txId);
    if (!tx) throw new XsError('ENOENT');
    return tx;
  }

  private checkRead(n: XsNode | undefined, caller: number, path: string, tx: Transaction | undefined): XsNode {
    if (!n) throw missingError(tx ? tx.view.root : this.root, path, caller);
    if (!canRead(n.perms, caller)) throw new XsError('EACCES');
    return n;
  }

  /** The payload must be exactly `count` NUL-terminated strings. */
  private args(payload: Uint8Array, count: number): string[] {
    const { parts, rest } = splitNul(payload);
    if (rest.length !== 0 || parts.length !== count) throw new XsError('EINVAL');
    return parts;
  }

  private onePath(payload: Uint8Array, caller: number): string {
    return this.nodePath(this.args(payload, 1)[0]!, caller);
  }

  private nodePath(raw: string, caller: number): string {
    const p = resolveNodePath(raw, caller);
    if (p === undefined) throw new XsError('EINVAL');
    return p;
  }

  private privileged(caller: number): void {
    if (caller !== PRIVILEGED_DOMID) throw new XsError('EACCES');
  }
}

export interface LocalConnection {
  /** Send one request; the reply (and any events it causes) reach the sink before this returns. */
  request(type: number, payload: Uint8Array, txId?: number, reqId?: number): void;
  close(): void;
}

const OK = nulStrings('OK');
const NO_QUOTAS: XsQuotas = { nodes: 0, valueBytes: 0, watches: 0, transactions: 0, transactionOps: 0, permEntries: 0, outstanding: 0, queuedWatchEvents: 0 };

function parseNumber(s: string): number {
  if (!/^\d{1,10}$/.test(s)) throw new XsError('EINVAL');
  return Number(s);
}

function parseDomid(s: string): number {
  const n = parseNumber(s);
  if (n > 0x7fef) throw new XsError('EINVAL');
  return n;
}
