import { describe, expect, it } from 'vitest';
import { MAX_SPINS, notifyIfSleeping, waitWhileEqual } from '../shared/wait.js';

describe('spin-then-wait', () => {
  it('returns at once when the word already differs', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(8));
    i32[0] = 5;
    expect(waitWhileEqual(i32, 0, 4, 1, 0, Infinity)).toBe(true);
    expect(i32[1]).toBe(0);
  });

  it('times out when nothing changes, leaving no sleeper registered', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(8));
    expect(waitWhileEqual(i32, 0, 0, 1, 100, 2)).toBe(false);
    expect(i32[1]).toBe(0);
  });

  it('does not notify when nobody sleeps', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(8));
    i32[0] = 1;
    expect(notifyIfSleeping(i32, 0, 1)).toBe(false);
    i32[1] = 1;
    expect(notifyIfSleeping(i32, 0, 1)).toBe(true);
  });

  it('refuses an unbounded or negative spin and a negative timeout', () => {
    const i32 = new Int32Array(new SharedArrayBuffer(8));
    expect(() => waitWhileEqual(i32, 0, 0, 1, Infinity, 1)).toThrow(RangeError);
    expect(() => waitWhileEqual(i32, 0, 0, 1, MAX_SPINS + 1, 1)).toThrow(RangeError);
    expect(() => waitWhileEqual(i32, 0, 0, 1, -1, 1)).toThrow(RangeError);
    expect(() => waitWhileEqual(i32, 0, 0, 1, 0, -1)).toThrow(RangeError);
  });
});
