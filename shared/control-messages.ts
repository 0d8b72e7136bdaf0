/**
 * Control-plane messages between the toolstack (main thread) and the hypervisor and device-model
 * workers, encoded with msgpackr (docs/architecture.md §1, §7; ~1.5 µs per message, measured on this project's machine).
 * They are never on the ioreq path. Only the workers send them; the toolstack's requests (pause,
 * destroy) go through the domain control words (shared/domain-control.ts), which a spinning
 * worker sees without a message.
 *
 * Every message is checked on encode and on decode: the right kind, every field present with the
 * right type and range, no unknown fields. A malformed message throws ControlMessageError naming
 * the field.
 */

import { Packr } from 'msgpackr';
import { MAX_DOMID, MAX_VCPUS } from './domain-limits.js';

export const SHUTDOWN_REASONS = ['poweroff', 'reboot', 'crash', 'halt'] as const;
export type ShutdownReason = (typeof SHUTDOWN_REASONS)[number];

export interface ShutdownMessage {
  kind: 'shutdown';
  domid: number;
  reason: ShutdownReason;
  /**
   * The run's exit status when the guest asked for one (isa-debug-exit: (v << 1) | 1, up to
   * 33 bits; a host process keeps the low 8, as QEMU's does).
   */
  exitStatus?: number;
}

/** A worker has attached the domain and is serving (the device model: ranges published, ports bound). */
export interface ReadyMessage {
  kind: 'ready';
  domid: number;
}

/** What a crashed domain leaves behind (docs/architecture.md §8). */
export interface CrashReport {
  /** One line: "triple fault", "unimplemented instruction", "ioreq state went backwards", ... */
  reason: string;
  vcpu: number;
  eip: number;
  /** Bytes at EIP (up to 16; an x86 instruction is at most 15). */
  instructionBytes: Uint8Array;
  /** Exit counters by reason name. */
  exits: Record<string, number>;
  /** General registers, EIP, EFLAGS, selectors and CR0 at the crash (absent when no vCPU state applies). */
  registers?: Record<string, number>;
}

/** A vCPU executed HLT with IF=0 and went offline; the domain powers off when every vCPU is down. */
export interface VcpuDownMessage {
  kind: 'vcpu-down';
  domid: number;
  vcpu: number;
}

/**
 * A vCPU asked for another to be started (hvmsim's VCPUOP_up, hypervisor/hypercalls.ts): the
 * toolstack starts that vCPU's worker at `eip` with `esp`.
 */
export interface VcpuUpMessage {
  kind: 'vcpu-up';
  domid: number;
  vcpu: number;
  eip: number;
  esp: number;
}

export interface CrashMessage {
  kind: 'crash';
  domid: number;
  report: CrashReport;
}

export interface ConsoleOutputMessage {
  kind: 'console';
  domid: number;
  bytes: Uint8Array;
}

/**
 * The device model has written the final frame as PNG (`--screenshot`), or says why it could
 * not (`error`; width and height are then those of the frame it had).
 */
export interface ScreenshotMessage {
  kind: 'screenshot';
  domid: number;
  path: string;
  width: number;
  height: number;
  error?: string;
}

export type ControlMessage =
  | ShutdownMessage
  | ReadyMessage
  | CrashMessage
  | ConsoleOutputMessage
  | VcpuDownMessage
  | VcpuUpMessage
  | ScreenshotMessage;

export type ControlMessageKind = ControlMessage['kind'];

export class ControlMessageError extends Error {
  constructor(message: string) {
    super(`bad control message: ${message}`);
    this.name = 'ControlMessageError';
  }
}

const MAX_PATH = 4096;
const MAX_REASON = 1024;
const MAX_INSTRUCTION_BYTES = 16;
const MAX_RECORD_KEYS = 1024;
const MAX_CONSOLE_CHUNK = 1 << 20;
/** A display side (VBE allows 16000 × 12000). */
const MAX_PICTURE_SIDE = 65535;
/** isa-debug-exit's status is (v << 1) | 1 for a 32-bit v. */
const MAX_EXIT_STATUS = 2 ** 33 - 1;

// Plain maps, no records extension: both ends stay stateless.
const packr = new Packr({ useRecords: false });

/** Encode a message (validated first). The result is a compact copy, cheap to postMessage. */
export function encodeControlMessage(message: ControlMessage): Uint8Array {
  validateControlMessage(message);
  return new Uint8Array(packr.pack(message));
}

/** Decode and validate; throws ControlMessageError on anything malformed. */
export function decodeControlMessage(bytes: Uint8Array): ControlMessage {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (err) {
    throw new ControlMessageError(`not a msgpack value (${(err as Error).message})`);
  }
  return validateControlMessage(value);
}

/** Check that `value` is a well-formed ControlMessage and return it typed. */
export function validateControlMessage(value: unknown): ControlMessage {
  const m = plainObject(value, 'message');
  const kind = m.kind;
  switch (kind) {
    case 'ready':
      fields(m, kind, ['kind', 'domid']);
      domid(m, kind);
      break;
    case 'shutdown':
      fields(m, kind, ['kind', 'domid', 'reason', 'exitStatus']);
      domid(m, kind);
      oneOf(m, kind, 'reason', SHUTDOWN_REASONS);
      if (m.exitStatus !== undefined) integer(m, kind, 'exitStatus', 0, MAX_EXIT_STATUS);
      break;
    case 'crash': {
      fields(m, kind, ['kind', 'domid', 'report']);
      domid(m, kind);
      const r = plainObject(m.report, "crash field 'report'");
      fields(r, 'crash report', ['reason', 'vcpu', 'eip', 'instructionBytes', 'exits', 'registers']);
      string(r, 'crash report', 'reason', 1, MAX_REASON);
      integer(r, 'crash report', 'vcpu', 0, MAX_VCPUS - 1);
      integer(r, 'crash report', 'eip', 0, 0xffffffff);
      bytes(r, 'crash report', 'instructionBytes', MAX_INSTRUCTION_BYTES);
      counterRecord(r, 'crash report', 'exits');
      if (r.registers !== undefined) counterRecord(r, 'crash report', 'registers');
      break;
    }
    case 'vcpu-down':
      fields(m, kind, ['kind', 'domid', 'vcpu']);
      domid(m, kind);
      integer(m, kind, 'vcpu', 0, MAX_VCPUS - 1);
      break;
    case 'vcpu-up':
      fields(m, kind, ['kind', 'domid', 'vcpu', 'eip', 'esp']);
      domid(m, kind);
      integer(m, kind, 'vcpu', 1, MAX_VCPUS - 1);
      integer(m, kind, 'eip', 0, 0xffffffff);
      integer(m, kind, 'esp', 0, 0xffffffff);
      break;
    case 'console':
      fields(m, kind, ['kind', 'domid', 'bytes']);
      domid(m, kind);
      bytes(m, kind, 'bytes', MAX_CONSOLE_CHUNK);
      break;
    case 'screenshot':
      fields(m, kind, ['kind', 'domid', 'path', 'width', 'height', 'error']);
      domid(m, kind);
      string(m, kind, 'path', 1, MAX_PATH);
      integer(m, kind, 'width', 0, MAX_PICTURE_SIDE);
      integer(m, kind, 'height', 0, MAX_PICTURE_SIDE);
      if (m.error !== undefined) string(m, kind, 'error', 1, MAX_REASON);
      break;
    default:
      throw new ControlMessageError(`unknown kind ${describe(kind)}`);
  }
  return m as unknown as ControlMessage;
}

type Obj = Record<string, unknown>;

function plainObject(value: unknown, what: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new ControlMessageError(`${what} must be an object, got ${describe(value)}`);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new ControlMessageError(`${what} must be a plain object`);
  return value as Obj;
}

function fields(m: Obj, kind: string, allowed: readonly string[]): void {
  for (const key of Object.keys(m)) {
    if (!allowed.includes(key)) throw new ControlMessageError(`${kind}: unknown field '${key}'`);
  }
}

function domid(m: Obj, kind: string): void {
  integer(m, kind, 'domid', 0, MAX_DOMID);
}

function integer(m: Obj, kind: string, key: string, min: number, max: number): void {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ControlMessageError(`${kind}: '${key}' must be an integer in ${min}..${max}, got ${describe(v)}`);
  }
}

function string(m: Obj, kind: string, key: string, minLength: number, maxLength: number): void {
  const v = m[key];
  if (typeof v !== 'string' || v.length < minLength || v.length > maxLength) {
    throw new ControlMessageError(`${kind}: '${key}' must be a string of ${minLength}..${maxLength} characters, got ${describe(v)}`);
  }
}

function oneOf(m: Obj, kind: string, key: string, values: readonly string[]): void {
  const v = m[key];
  if (typeof v !== 'string' || !values.includes(v)) {
    throw new ControlMessageError(`${kind}: '${key}' must be one of ${values.join('|')}, got ${describe(v)}`);
  }
}

function bytes(m: Obj, kind: string, key: string, maxLength: number): void {
  const v = m[key];
  if (!(v instanceof Uint8Array) || v.length > maxLength) {
    throw new ControlMessageError(`${kind}: '${key}' must be bytes (at most ${maxLength}), got ${describe(v)}`);
  }
}

function numberRecord(m: Obj, kind: string, key: string, check: (v: number) => boolean = Number.isFinite, what = 'a finite number'): void {
  const r = plainObject(m[key], `${kind} field '${key}'`);
  const keys = Object.keys(r);
  if (keys.length > MAX_RECORD_KEYS) throw new ControlMessageError(`${kind}: '${key}' has more than ${MAX_RECORD_KEYS} entries`);
  for (const k of keys) {
    const v = r[k];
    if (typeof v !== 'number' || !check(v)) throw new ControlMessageError(`${kind}: '${key}.${k}' must be ${what}, got ${describe(v)}`);
  }
}

function counterRecord(m: Obj, kind: string, key: string): void {
  numberRecord(m, kind, key, (v) => Number.isSafeInteger(v) && v >= 0, 'a counter (integer >= 0)');
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return v === null ? 'null' : Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}
