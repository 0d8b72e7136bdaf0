/**
 * Guest exceptions raised while executing an instruction. They unwind the interpreter to the
 * run loop, which rewinds EIP to the faulting instruction and delivers the vector through the
 * guest's IDT. Faults are rare, so a thrown object costs nothing that matters.
 */
import { Vector } from './registers.js';

export class GuestFault {
  constructor(
    readonly vector: number,
    readonly errorCode: number = -1, // -1: the vector pushes no error code
  ) {}

  /** Readable if one ever escapes to a report (it should always be delivered to the guest). */
  toString(): string {
    return `guest fault: vector ${this.vector}${this.errorCode >= 0 ? `, error code 0x${this.errorCode.toString(16)}` : ''}`;
  }
}

/** Vectors that push an error code (#DF, #TS, #NP, #SS, #GP, #PF, #AC). */
export function pushesErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

export function fault(vector: number, errorCode = -1): never {
  throw new GuestFault(vector, errorCode);
}

export function ud(): never {
  throw new GuestFault(Vector.UD);
}

export function gp(errorCode = 0): never {
  throw new GuestFault(Vector.GP, errorCode);
}

/**
 * Thrown by an exit handler to abandon the current instruction without retiring it
 * (the domain is being paused or destroyed while the vCPU waits on the device model).
 * The run loop rewinds EIP and returns; the instruction restarts on the next run.
 */
export class RunAbort {
  constructor(readonly why: string) {}

  toString(): string {
    return `instruction abandoned: ${this.why}`;
  }
}
