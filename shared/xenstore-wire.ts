/**
 * The XenStore wire protocol and its ring page, with the numbers of Xen's public header
 * xen/include/public/io/xs_wire.h (and docs/misc/xenstore.txt, docs/misc/xenstore-ring.txt;
 * /work/shared/research/xen-abi-facts.md §6). docs/architecture.md §10: an ABI layout lives in shared/.
 *
 * A message is a 16-byte header `xsd_sockmsg` (little-endian u32s) and a payload:
 *   @0 type    XS_* below
 *   @4 req_id  echoed in the reply; 0 in a WATCH_EVENT
 *   @8 tx_id   0 outside a transaction
 *   @12 len    payload bytes that follow, at most XENSTORE_PAYLOAD_MAX (4096) either way
 *
 * The ring page `xenstore_domain_interface` (one 4 KiB guest page):
 *   @0    req[1024]        bytes guest → xenstored
 *   @1024 rsp[1024]        bytes xenstored → guest (replies and watch events)
 *   @2048 req_cons   u32   written by xenstored
 *   @2052 req_prod   u32   written by the guest
 *   @2056 rsp_cons   u32   written by the guest
 *   @2060 rsp_prod   u32   written by xenstored
 *   @2064 server_features u32  written by xenstored (RECONNECTION 1 | ERROR 2 here)
 *   @2068 connection u32   guest writes RECONNECT (1) to ask for a reset; xenstored answers CONNECTED (0)
 *   @2072 error      u32   written by xenstored: why it stopped serving the ring (XENSTORE_ERROR_*)
 * The indices are free-running u32s; byte x of a queue is at x & 1023, so a producer is at most
 * 1024 bytes ahead of its consumer.
 *
 * Atomicity: each side copies bytes and then publishes its index with a sequentially consistent
 * Atomics.store; the other side reads that index with Atomics.load before it touches the bytes
 * (the rmb/wmb pairs of Xen's ring code). The indices written by the other side are hostile:
 * prod - cons > 1024 is a bad ring index (the server stops serving the ring, XENSTORE_ERROR_RINGIDX),
 * and bytes are copied out of the ring once before they are parsed, so the guest cannot change
 * what was checked.
 */

export const XS_CONTROL = 0; // XS_DEBUG in older headers
export const XS_DIRECTORY = 1;
export const XS_READ = 2;
export const XS_GET_PERMS = 3;
export const XS_WATCH = 4;
export const XS_UNWATCH = 5;
export const XS_TRANSACTION_START = 6;
export const XS_TRANSACTION_END = 7;
export const XS_INTRODUCE = 8;
export const XS_RELEASE = 9;
export const XS_GET_DOMAIN_PATH = 10;
export const XS_WRITE = 11;
export const XS_MKDIR = 12;
export const XS_RM = 13;
export const XS_SET_PERMS = 14;
export const XS_WATCH_EVENT = 15;
export const XS_ERROR = 16;
export const XS_IS_DOMAIN_INTRODUCED = 17;
export const XS_RESUME = 18;
export const XS_SET_TARGET = 19;
// 20 was XS_RESTRICT, removed; it is no longer a valid type.
export const XS_RESET_WATCHES = 21;
export const XS_DIRECTORY_PART = 22;
export const XS_GET_FEATURE = 23;
export const XS_SET_FEATURE = 24;
export const XS_GET_QUOTA = 25;
export const XS_SET_QUOTA = 26;
/** Guaranteed to remain invalid (xs_wire.h). */
export const XS_INVALID = 0xffff;

/** Error names in xs_wire.h's `xsd_errors` order; an ERROR reply carries the name and a NUL. */
export const XS_ERROR_NAMES = [
  'EINVAL',
  'EACCES',
  'EEXIST',
  'EISDIR',
  'ENOENT',
  'ENOMEM',
  'ENOSPC',
  'EIO',
  'ENOTEMPTY',
  'ENOSYS',
  'EROFS',
  'EBUSY',
  'EAGAIN',
  'EISCONN',
  'E2BIG',
  'EPERM',
] as const;
export type XsErrorName = (typeof XS_ERROR_NAMES)[number];

export const XSD_SOCKMSG_BYTES = 16;
export const XENSTORE_PAYLOAD_MAX = 4096;
export const XENSTORE_ABS_PATH_MAX = 3072;
export const XENSTORE_REL_PATH_MAX = 2048;

export const XENSTORE_RING_SIZE = 1024;
const RING_MASK = XENSTORE_RING_SIZE - 1;
export const XENSTORE_RING_PAGE_BYTES = 4096;

export const XS_RING_REQ_OFFSET = 0;
export const XS_RING_RSP_OFFSET = 1024;
export const XS_RING_REQ_CONS_OFFSET = 2048;
export const XS_RING_REQ_PROD_OFFSET = 2052;
export const XS_RING_RSP_CONS_OFFSET = 2056;
export const XS_RING_RSP_PROD_OFFSET = 2060;
export const XS_RING_SERVER_FEATURES_OFFSET = 2064;
export const XS_RING_CONNECTION_OFFSET = 2068;
export const XS_RING_ERROR_OFFSET = 2072;

export const XENSTORE_SERVER_FEATURE_RECONNECTION = 1;
export const XENSTORE_SERVER_FEATURE_ERROR = 2;

export const XENSTORE_CONNECTED = 0;
export const XENSTORE_RECONNECT = 1;

export const XENSTORE_ERROR_NONE = 0;
export const XENSTORE_ERROR_COMM = 1;
export const XENSTORE_ERROR_RINGIDX = 2;
export const XENSTORE_ERROR_PROTO = 3;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('hvmsim shared memory layouts assume a little-endian host');
}

export interface XsHeader {
  type: number;
  reqId: number;
  txId: number;
  len: number;
}

export function decodeHeader(bytes: Uint8Array, offset = 0): XsHeader {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, XSD_SOCKMSG_BYTES);
  return { type: v.getUint32(0, true), reqId: v.getUint32(4, true), txId: v.getUint32(8, true), len: v.getUint32(12, true) };
}

/** Header and payload as one byte string. The caller keeps payload.length <= XENSTORE_PAYLOAD_MAX. */
export function encodeMessage(type: number, reqId: number, txId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(XSD_SOCKMSG_BYTES + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, type >>> 0, true);
  v.setUint32(4, reqId >>> 0, true);
  v.setUint32(8, txId >>> 0, true);
  v.setUint32(12, payload.length, true);
  out.set(payload, XSD_SOCKMSG_BYTES);
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('latin1');

/** Strings each followed by a NUL ("path\0token\0"), the usual payload shape. */
export function nulStrings(...parts: string[]): Uint8Array {
  return encoder.encode(parts.map((p) => p + '\0').join(''));
}

/** A WRITE payload: the path, a NUL, then the value bytes (no trailing NUL). */
export function writePayload(path: string, value: Uint8Array | string): Uint8Array {
  const v = typeof value === 'string' ? encoder.encode(value) : value;
  const p = encoder.encode(path + '\0');
  const out = new Uint8Array(p.length + v.length);
  out.set(p);
  out.set(v, p.length);
  return out;
}

/** Bytes as a string, one character per byte: paths are ASCII, and nothing hostile can fail to decode. */
export function bytesToString(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Split a payload at its NULs; a trailing part without a NUL is returned as `rest`. */
export function splitNul(bytes: Uint8Array): { parts: string[]; rest: Uint8Array } {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      parts.push(bytesToString(bytes.subarray(start, i)));
      start = i + 1;
    }
  }
  return { parts, rest: bytes.subarray(start) };
}

/** A ring index the other side wrote that puts its producer more than a ring ahead of the consumer. */
export const BAD_RING_INDEX = -1;

/**
 * A view of one xenstore_domain_interface page (at byteOffset in a SharedArrayBuffer: a page of
 * guest RAM, or a page of its own in tests). Both ends use it: the server side (xenstored) takes
 * requests and gives responses, the client side (a guest, or a test) the reverse.
 */
export class XenstoreRingPage {
  private readonly u32: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(buffer: SharedArrayBuffer, byteOffset = 0) {
    if (byteOffset % 4 !== 0 || byteOffset + XENSTORE_RING_PAGE_BYTES > buffer.byteLength) {
      throw new RangeError(`xenstore ring page at ${byteOffset} does not fit a ${buffer.byteLength}-byte buffer`);
    }
    this.u32 = new Int32Array(buffer, byteOffset + XS_RING_REQ_CONS_OFFSET, 7);
    this.bytes = new Uint8Array(buffer, byteOffset, XS_RING_REQ_CONS_OFFSET);
  }

  /** Raw index and control words, for tests and for the reset handshake. */
  load(field: 'reqCons' | 'reqProd' | 'rspCons' | 'rspProd' | 'serverFeatures' | 'connection' | 'error'): number {
    return Atomics.load(this.u32, FIELD_WORD[field]) >>> 0;
  }

  store(field: 'reqCons' | 'reqProd' | 'rspCons' | 'rspProd' | 'serverFeatures' | 'connection' | 'error', value: number): void {
    Atomics.store(this.u32, FIELD_WORD[field], value | 0);
  }

  // Server side.

  /** Request bytes waiting, or BAD_RING_INDEX when req_prod is more than a ring ahead of req_cons. */
  requestBytesAvailable(): number {
    return distance(this.load('reqProd'), this.load('reqCons'));
  }

  /** Copy up to dst.length request bytes out of the ring and consume them; returns the count (0 on a bad index). */
  takeRequestBytes(dst: Uint8Array): number {
    return this.take(XS_RING_REQ_OFFSET, W_REQ_PROD, W_REQ_CONS, dst);
  }

  /** Free response space, or BAD_RING_INDEX when rsp_cons is ahead of rsp_prod or more than a ring behind it. */
  responseSpace(): number {
    const used = distance(this.load('rspProd'), this.load('rspCons'));
    return used < 0 ? BAD_RING_INDEX : XENSTORE_RING_SIZE - used;
  }

  /** Copy as much of src as fits into the response queue and publish it; returns the count. */
  giveResponseBytes(src: Uint8Array): number {
    return this.give(XS_RING_RSP_OFFSET, W_RSP_PROD, W_RSP_CONS, src);
  }

  // Client side.

  requestSpace(): number {
    const used = distance(this.load('reqProd'), this.load('reqCons'));
    return used < 0 ? BAD_RING_INDEX : XENSTORE_RING_SIZE - used;
  }

  giveRequestBytes(src: Uint8Array): number {
    return this.give(XS_RING_REQ_OFFSET, W_REQ_PROD, W_REQ_CONS, src);
  }

  responseBytesAvailable(): number {
    return distance(this.load('rspProd'), this.load('rspCons'));
  }

  takeResponseBytes(dst: Uint8Array): number {
    return this.take(XS_RING_RSP_OFFSET, W_RSP_PROD, W_RSP_CONS, dst);
  }

  /** Wake a client waiting in waitResponse (xenstored's notification when it runs in another thread). */
  notifyResponse(): void {
    Atomics.notify(this.u32, W_RSP_PROD);
  }

  /** Client side: wait until rsp_prod differs from `seen` (or the timeout passes), spinning first. */
  waitResponse(seen: number, spins: number, timeoutMs: number): void {
    for (let i = 0; i < spins; i++) if (Atomics.load(this.u32, W_RSP_PROD) >>> 0 !== seen) return;
    Atomics.wait(this.u32, W_RSP_PROD, seen | 0, timeoutMs);
  }

  /** Put the indices back to 0 (xenstored's connection reset). */
  resetIndices(): void {
    for (const w of [W_REQ_CONS, W_REQ_PROD, W_RSP_CONS, W_RSP_PROD]) Atomics.store(this.u32, w, 0);
  }

  private take(base: number, prodWord: number, consWord: number, dst: Uint8Array): number {
    const cons = Atomics.load(this.u32, consWord) >>> 0;
    const avail = distance(Atomics.load(this.u32, prodWord) >>> 0, cons);
    if (avail <= 0) return 0;
    const n = Math.min(avail, dst.length);
    for (let k = 0; k < n; k++) dst[k] = this.bytes[base + ((cons + k) & RING_MASK)]!;
    Atomics.store(this.u32, consWord, (cons + n) | 0);
    return n;
  }

  private give(base: number, prodWord: number, consWord: number, src: Uint8Array): number {
    const prod = Atomics.load(this.u32, prodWord) >>> 0;
    const used = distance(prod, Atomics.load(this.u32, consWord) >>> 0);
    if (used < 0) return 0;
    const n = Math.min(XENSTORE_RING_SIZE - used, src.length);
    for (let k = 0; k < n; k++) this.bytes[base + ((prod + k) & RING_MASK)] = src[k]!;
    Atomics.store(this.u32, prodWord, (prod + n) | 0);
    return n;
  }
}

const W_REQ_CONS = 0;
const W_REQ_PROD = 1;
const W_RSP_CONS = 2;
const W_RSP_PROD = 3;
const FIELD_WORD = { reqCons: 0, reqProd: 1, rspCons: 2, rspProd: 3, serverFeatures: 4, connection: 5, error: 6 } as const;

/** prod - cons as the ring sees it: 0..1024, or BAD_RING_INDEX. */
function distance(prod: number, cons: number): number {
  const d = (prod - cons) >>> 0;
  return d > XENSTORE_RING_SIZE ? BAD_RING_INDEX : d;
}

/** A fresh ring page of its own (tests, and domains whose ring is not yet in guest RAM). */
export function createXenstoreRingPage(): SharedArrayBuffer {
  return new SharedArrayBuffer(XENSTORE_RING_PAGE_BYTES);
}
