/**
 * Control words the toolstack shares with a domain's workers, for requests that must reach a
 * thread that is busy or blocked (computing, waiting for an ioreq, in HLT): pause, unpause and
 * destroy. The toolstack sets a request bit and then wakes the thread the way it sleeps (a kick
 * for a vCPU in HLT or computing, its Xen wake-up port for a vCPU blocked in an ioreq, the control
 * port for the device model). Each worker publishes its run state here too.
 *
 * Layout (Int32 words): 0 request bits, 1 request generation (futex word for paused threads),
 * 2 sleepers; from word 16 (the next 64-byte cache line, so a state change does not move the line
 * every thread polls for requests) one state word per thread (vCPUs 0.., the device model last).
 */

export const REQ_PAUSE = 1 << 0;
export const REQ_DESTROY = 1 << 1;
/**
 * The domain is shutting down (the device model reported a power-off, reset or debug exit):
 * as in Xen, no vCPU runs guest code again, even before the toolstack destroys the domain.
 */
export const REQ_SHUTDOWN = 1 << 2;

export const enum RunState {
  STARTING = 0,
  RUNNING = 1,
  HALTED = 2, // in HLT with IF=1, waiting for an interrupt
  BLOCKED_IO = 3, // waiting for the device model
  PAUSED = 4,
  DOWN = 5, // HLT with IF=0: this vCPU is offline
  DEAD = 6, // crashed or destroyed: the thread has ended its loop
  SHUTDOWN = 7, // the domain shut down: waiting to be destroyed
}

export const RUN_STATE_NAMES = ['starting', 'running', 'halted', 'blocked_io', 'paused', 'down', 'dead', 'shutdown'] as const;

const W_REQUESTS = 0;
const W_GENERATION = 1;
const W_SLEEPERS = 2;
const STATE_BASE = 16;

export function createDomainControlBuffer(vcpus: number): SharedArrayBuffer {
  return new SharedArrayBuffer((STATE_BASE + vcpus + 1) * 4);
}

export class DomainControl {
  private readonly i32: Int32Array;

  constructor(
    buffer: SharedArrayBuffer,
    readonly vcpus: number,
  ) {
    this.i32 = new Int32Array(buffer);
  }

  requests(): number {
    return Atomics.load(this.i32, W_REQUESTS);
  }

  /**
   * The request bits by a plain load (Atomics.load is a ~7 ns call in Node 20): for a check made
   * on every VM exit, right after an Atomics operation (the device model's answer) that orders
   * it; never for a loop that waits for a bit to change.
   */
  requestsAtExit(): number {
    return this.i32[W_REQUESTS]!;
  }

  /** Set or clear request bits and bump the generation, waking threads parked in waitWhilePaused. */
  setRequest(bits: number, on: boolean): void {
    if (on) Atomics.or(this.i32, W_REQUESTS, bits);
    else Atomics.and(this.i32, W_REQUESTS, ~bits);
    Atomics.add(this.i32, W_GENERATION, 1);
    if (Atomics.load(this.i32, W_SLEEPERS) > 0) Atomics.notify(this.i32, W_GENERATION);
  }

  /** Park while the domain is paused (and not being destroyed). Returns the requests seen last. */
  waitWhilePaused(): number {
    for (;;) {
      const gen = Atomics.load(this.i32, W_GENERATION);
      const req = Atomics.load(this.i32, W_REQUESTS);
      if (!(req & REQ_PAUSE) || req & REQ_DESTROY) return req;
      Atomics.add(this.i32, W_SLEEPERS, 1);
      Atomics.wait(this.i32, W_GENERATION, gen, 1000);
      Atomics.sub(this.i32, W_SLEEPERS, 1);
    }
  }

  /** Thread index: vCPU n is n, the device model is `vcpus`. */
  setState(thread: number, state: RunState): void {
    Atomics.store(this.i32, STATE_BASE + thread, state);
  }

  state(thread: number): RunState {
    return Atomics.load(this.i32, STATE_BASE + thread) as RunState;
  }
}
