/**
 * Spin-then-sleep waiting on one 32-bit word of a SharedArrayBuffer (docs/architecture.md §4).
 *
 * A waiter spins a bounded number of Atomics.loads (cheap while the peer answers within
 * microseconds on its own core), then sleeps in Atomics.wait with a timeout. Each futex word has
 * a companion *sleeper count*: a waker changes the word first and calls Atomics.notify only when
 * the count is non-zero, because a notify nobody hears still costs ~100 ns
 * (measured on this project's machine).
 *
 * Why no wake-up is lost: the waiter increments the sleeper count and then Atomics.wait compares
 * the word atomically with the sleep; the waker stores the word and then loads the count. All
 * four are sequentially consistent, so either the waiter sees the new word (and does not sleep)
 * or the waker sees the count (and notifies).
 */

/** How the last waitWhileEqual on this thread ended: whether it had to sleep (for adaptive spinning). */
export const waitStats = { lastSlept: false, sleeps: 0 };

/** Upper bound on a spin budget: a spin is always bounded, and a longer one starves a 2-core box. */
export const MAX_SPINS = 2 ** 30;

/**
 * Wait while `i32[index] === expected`: up to `spins` loads, then Atomics.wait for at most
 * `timeoutMs` (Infinity allowed) in total. Returns true once the word differs, false on timeout
 * with the word still equal. Spurious wake-ups (a notify for a change that was undone, or for
 * another waiter) go back to sleep for the rest of the time.
 */
export function waitWhileEqual(
  i32: Int32Array,
  index: number,
  expected: number,
  sleepersIndex: number,
  spins: number,
  timeoutMs: number,
): boolean {
  if (!(spins >= 0 && spins <= MAX_SPINS) || !(timeoutMs >= 0)) {
    throw new RangeError(`waitWhileEqual: spins must be 0..${MAX_SPINS} and timeoutMs >= 0 (got ${spins}, ${timeoutMs})`);
  }
  for (let i = 0; i < spins; i++) {
    if (Atomics.load(i32, index) !== expected) {
      waitStats.lastSlept = false;
      return true;
    }
  }
  waitStats.lastSlept = true;
  waitStats.sleeps++;
  // Only the sleeping path reads the clock.
  const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs;
  let remaining = timeoutMs;
  for (;;) {
    Atomics.add(i32, sleepersIndex, 1);
    const outcome = Atomics.wait(i32, index, expected, remaining);
    Atomics.sub(i32, sleepersIndex, 1);
    if (Atomics.load(i32, index) !== expected) return true;
    if (outcome === 'timed-out') return false;
    if (deadline !== Infinity) {
      remaining = deadline - performance.now();
      if (remaining <= 0) return false;
    }
  }
}

/**
 * The waker's half: call after changing `i32[index]`. Notifies only if someone may be asleep on
 * the word; returns whether it did (so tests and counters can see coalescing).
 */
export function notifyIfSleeping(i32: Int32Array, index: number, sleepersIndex: number): boolean {
  if (Atomics.load(i32, sleepersIndex) === 0) return false;
  Atomics.notify(i32, index);
  return true;
}
