/**
 * The XenStore fuzz: hostile domains fill their rings with generated messages — near-valid
 * requests of every type with random paths, tokens, permissions, transaction ids and NULs, raw
 * garbage, oversized lengths, corrupted indices, reconnects, responses left unread — while a
 * well-behaved witness domain checks after every few messages that it is still answered
 * correctly and that its private node was neither read nor changed by anyone else.
 *
 * A crash is an exception out of the daemon (or an internal error inside it, answered EINVAL);
 * the run is good when there are none and every witness check passed. Seeded: the same seed
 * and count give the same messages and the same counts (bench/statistics.ts seededUint32).
 */
import { RingTransport, XenstoreClient } from '../shared/xenstore-client.js';
import {
  createXenstoreRingPage,
  encodeMessage,
  XENSTORE_CONNECTED,
  XENSTORE_RECONNECT,
  XenstoreRingPage,
  XSD_SOCKMSG_BYTES,
} from '../shared/xenstore-wire.js';
import { writeDomainNodes } from '../toolstack/xenstore/domain-nodes.js';
import { localXenstoreClient } from '../toolstack/xenstore/local-client.js';
import { Xenstored } from '../toolstack/xenstore/xenstored.js';
import { seededUint32 } from './statistics.js';

export interface XsFuzzOptions {
  readonly messages: number;
  readonly seed: number;
  /** Hostile domains (ids 1..N); the witness is N + 1. */
  readonly hostile: number;
  /** Messages between two witness checks. */
  readonly checkEvery: number;
  /** Let every domain read the witness's secret: the leak check must then see leaks (a test of the check). */
  readonly exposeSecret?: boolean;
}

export const DEFAULT_XS_FUZZ_OPTIONS: XsFuzzOptions = { messages: 1_000_000, seed: 1, hostile: 3, checkEvery: 50 };

export interface XsFuzzResult {
  readonly messages: number;
  /** Messages by the kind the generator made. */
  readonly generated: Record<string, number>;
  readonly requestsHandled: number;
  readonly okReplies: number;
  readonly errorsByCode: Record<string, number>;
  readonly ringErrors: { ringIndex: number; protocol: number };
  readonly reconnects: number;
  readonly watchEvents: number;
  readonly droppedWatchEvents: number;
  readonly releases: number;
  /** Responses to hostile domains that carried the witness's secret value. */
  readonly leaks: number;
  /** Exceptions that escaped the daemon. */
  readonly crashes: number;
  readonly internalErrors: number;
  readonly witnessChecks: number;
  readonly witnessFailures: string[];
  readonly seconds: number;
}

const TYPES_WEIGHTED = [1, 2, 2, 2, 3, 4, 4, 5, 6, 7, 7, 8, 9, 10, 11, 11, 11, 12, 12, 13, 13, 14, 14, 17, 21, 0, 15, 16, 18, 19, 20, 22, 23, 26, 27, 0xffff];
const SEGMENTS = ['data', 'secret', 'check', 'count', 'control', 'shutdown', 'device', 'vbd', '51712', 'state', 'x', 'name', 'domid', 'a', 'b', '@x', 'local', 'domain', 'vm', 'memory', 'target'];
const BAD_SEGMENTS = ['', '.', '..', 'a b', 'é', '\u0001', '*', 'x'.repeat(3000)];

class Gen {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return this.next() % n;
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
  path(domids: number): string {
    const segs: string[] = [];
    const depth = this.int(5);
    for (let i = 0; i < depth; i++) segs.push(this.chance(0.05) ? this.pick(BAD_SEGMENTS) : this.pick(SEGMENTS));
    switch (this.int(7)) {
      case 6: {
        // The witness's own nodes (its domid is the highest), which no hostile domain may touch.
        const w = `/local/domain/${domids}/data`;
        return this.pick([w, `${w}/secret`, `${w}/count`, `${w}/check`]);
      }
      case 0:
        return segs.join('/'); // relative
      case 1:
        return `/local/domain/${this.int(domids + 2)}/` + segs.join('/');
      case 2:
        return '/' + segs.join('/');
      case 3:
        return this.pick(['@introduceDomain', '@releaseDomain', '/', '', '//', '/local/domain/']);
      default:
        return `data/${segs.join('/')}`.replace(/\/$/, '');
    }
  }
  perm(domids: number): string {
    return this.chance(0.1) ? this.pick(['', 'q1', 'r', 'b99999', 'n-1']) : this.pick(['r', 'w', 'b', 'n']) + String(this.int(domids + 2));
  }
}

/** One generated message's bytes, and the name of its kind. */
function generate(g: Gen, domids: number): { kind: string; bytes: Uint8Array } {
  const r = g.int(100);
  if (r < 3) return { kind: 'garbage', bytes: g.bytes(1 + g.int(64)) };
  if (r < 4) {
    // A header whose length is over the limit (the ring is stopped: XENSTORE_ERROR_PROTO).
    const h = encodeMessage(g.pick(TYPES_WEIGHTED), g.next(), 0, new Uint8Array(0));
    new DataView(h.buffer).setUint32(12, 4097 + g.int(1 << 20), true);
    return { kind: 'oversized', bytes: h };
  }
  const type = g.pick(TYPES_WEIGHTED);
  const txId = g.chance(0.7) ? 0 : g.chance(0.8) ? 1 + g.int(40) : g.next();
  const reqId = g.next();
  const enc = new TextEncoder();
  const parts: (string | Uint8Array)[] = [];
  switch (type) {
    case 11: // WRITE: path NUL value
      parts.push(g.path(domids), '\0', g.chance(0.1) ? g.bytes(g.int(3000)) : enc.encode(String(g.next())));
      break;
    case 14:
      parts.push(g.path(domids), '\0');
      for (let i = g.int(8); i > 0; i--) parts.push(g.perm(domids), '\0');
      break;
    case 4:
    case 5:
      parts.push(g.path(domids), '\0', `tok${g.int(200)}`, '\0');
      if (g.chance(0.05)) parts.push('1\0');
      break;
    case 7:
      parts.push(g.pick(['T', 'F', 'X', '']), '\0');
      break;
    case 8:
      parts.push(String(g.int(domids + 3)), '\0', String(g.int(100)), '\0', String(g.int(3)), '\0');
      break;
    case 9:
    case 10:
    case 17:
      parts.push(g.chance(0.9) ? String(g.int(domids + 3)) : 'x' + g.int(9), '\0');
      break;
    default:
      parts.push(g.path(domids), '\0');
  }
  // Mangle a few: drop the final NUL, add an extra argument, or cut the payload short.
  let payload = concat(parts.map((p) => (typeof p === 'string' ? enc.encode(p) : p)));
  let kind = 'request';
  const m = g.int(20);
  if (m === 0 && payload.length > 0) {
    payload = payload.subarray(0, payload.length - 1);
    kind = 'unterminated';
  } else if (m === 1) {
    payload = concat([payload, enc.encode('extra\0')]);
    kind = 'extra-argument';
  } else if (m === 2) {
    payload = payload.subarray(0, g.int(payload.length + 1));
    kind = 'truncated';
  }
  if (payload.length > 4096) payload = payload.subarray(0, 4096);
  return { kind, bytes: encodeMessage(type, reqId, txId, payload) };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Hostile {
  readonly domid: number;
  page: XenstoreRingPage;
  backlog: Uint8Array;
}

export function runXenstoreFuzz(opts: XsFuzzOptions): XsFuzzResult {
  const started = process.hrtime.bigint();
  const g = new Gen(seededUint32(opts.seed));
  const xs = new Xenstored();
  const dom0 = localXenstoreClient(xs);
  const witnessId = opts.hostile + 1;
  const generated: Record<string, number> = {};
  let crashes = 0;
  let releases = 0;
  let droppedBefore = 0;
  const witnessFailures: string[] = [];
  let witnessChecks = 0;

  const introduce = (domid: number): XenstoreRingPage => {
    const page = new XenstoreRingPage(createXenstoreRingPage());
    xs.introduceRing(domid, page, 1);
    return page;
  };
  for (let d = 1; d <= witnessId; d++) writeDomainNodes(dom0, { domid: d, name: `fuzz${d}`, uuid: `fuzz-${d}`, vcpus: 1, memoryKiB: 1024 });
  const hostile: Hostile[] = [];
  for (let d = 1; d <= opts.hostile; d++) hostile.push({ domid: d, page: introduce(d), backlog: new Uint8Array(0) });
  const witnessPage = introduce(witnessId);
  const kick = (domid: number): void => {
    try {
      xs.kick(domid);
    } catch (e) {
      crashes++;
      if (crashes <= 5) process.stderr.write(`xenstore fuzz: daemon threw: ${(e as Error).stack ?? String(e)}\n`);
    }
  };
  const witness = new XenstoreClient(new RingTransport(witnessPage, () => kick(witnessId), 8));
  const secret = 'witness-secret';
  const secretBytes = Buffer.from(secret);
  const inbox = new Uint8Array(1024);
  let leaks = 0;
  witness.write('data/secret', secret);
  if (opts.exposeSecret) witness.setPerms('data/secret', [`r${witnessId}`]);
  witness.watch('data/check', 'check');

  const check = (i: number): void => {
    witnessChecks++;
    const fail = (what: string) => {
      if (witnessFailures.length < 20) witnessFailures.push(`after message ${i}: ${what}`);
    };
    try {
      witness.events.length = 0;
      witness.write('data/check', String(i));
      if (witness.read('data/check') !== String(i)) fail('read back a different value');
      if (!witness.events.some((e) => e.path === 'data/check' && e.token === 'check')) fail('no watch event for its own write');
      if (witness.read('data/secret') !== secret) fail('its secret changed');
      if (dom0.read(`/local/domain/${witnessId}/data/check`) !== String(i)) fail('dom0 sees another value');
      // A transaction on its own counter: nobody else can touch it, so it commits the first time.
      const tx = witness.transactionStart();
      witness.write('data/count', String(Number(witness.read('data/count', tx)) + 1), tx);
      witness.transactionEnd(tx, true);
      if (witness.read('data/count') !== String(witnessChecks)) fail(`counter ${witness.read('data/count')}, expected ${witnessChecks}`);
    } catch (e) {
      fail(`error ${(e as Error).message}`);
    }
  };
  witness.write('data/count', '0');

  for (let i = 0; i < opts.messages; i++) {
    const h = hostile[g.int(hostile.length)]!;
    const action = g.int(1000);
    if (action < 3) {
      // Corrupt an index the guest owns.
      h.page.store(g.chance(0.5) ? 'reqProd' : 'rspCons', g.next());
      generated['bad-index'] = (generated['bad-index'] ?? 0) + 1;
    } else if (action < 6) {
      h.page.store('connection', XENSTORE_RECONNECT);
      h.backlog = new Uint8Array(0);
      generated['reconnect'] = (generated['reconnect'] ?? 0) + 1;
    } else if (action < 7) {
      // The toolstack releases the domain and introduces it again.
      droppedBefore += xs.ringOf(h.domid)!.droppedEvents;
      xs.release(h.domid);
      h.page = introduce(h.domid);
      h.backlog = new Uint8Array(0);
      releases++;
      generated['release'] = (generated['release'] ?? 0) + 1;
    } else {
      const m = generate(g, opts.hostile + 1);
      generated[m.kind] = (generated[m.kind] ?? 0) + 1;
      h.backlog = h.backlog.length ? concat([h.backlog, m.bytes]) : m.bytes;
    }
    // The guest pushes what fits, lets xenstored run, and mostly takes its responses.
    if (h.backlog.length) h.backlog = h.backlog.subarray(h.page.giveRequestBytes(h.backlog));
    if (h.page.load('error') !== 0 && h.page.load('connection') === XENSTORE_CONNECTED && g.chance(0.3)) {
      h.page.store('connection', XENSTORE_RECONNECT);
      h.backlog = new Uint8Array(0);
    }
    kick(h.domid);
    if (g.chance(0.9)) {
      // The guest takes its responses; none may carry the witness's secret.
      const n = h.page.takeResponseBytes(inbox);
      if (n >= secretBytes.length && Buffer.from(inbox.buffer, 0, n).includes(secretBytes)) leaks++;
      h.page.store('rspCons', h.page.load('rspProd'));
    }
    if (h.backlog.length > 64 * XSD_SOCKMSG_BYTES * 64) h.backlog = new Uint8Array(0);
    if ((i + 1) % opts.checkEvery === 0) check(i);
  }
  check(opts.messages);

  let dropped = droppedBefore;
  for (const h of hostile) dropped += xs.ringOf(h.domid)?.droppedEvents ?? 0;
  const s = xs.stats;
  const errorReplies = Object.values(s.errorsByCode).reduce((a, b) => a + b, 0);
  return {
    messages: opts.messages,
    generated,
    requestsHandled: s.requests,
    okReplies: s.requests - errorReplies,
    errorsByCode: { ...s.errorsByCode },
    ringErrors: { ...s.ringErrors },
    reconnects: s.reconnects,
    watchEvents: s.watchEvents,
    droppedWatchEvents: dropped,
    releases,
    leaks,
    crashes,
    internalErrors: s.internalErrors,
    witnessChecks,
    witnessFailures,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
