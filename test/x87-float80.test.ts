/**
 * The exact 80-bit arithmetic on values the host processor produced (recorded from the native
 * oracle and the x87 guest on this project's machine), so the format's rules are checked even
 * where gcc -m32 is missing and cpu-x87.test.ts skips: precision control, rounding of tiny
 * results, tininess after rounding, the constants by rounding mode, FSIN's 66-bit π, FPREM's
 * partial step.
 */
import { describe, expect, test } from 'vitest';
import { Exc, F80, RoundInfo } from '../hypervisor/cpu/x87/float80.js';
import * as A from '../hypervisor/cpu/x87/float80-arith.js';
import { CONSTANTS } from '../hypervisor/cpu/x87/float80-constants.js';
import * as T from '../hypervisor/cpu/x87/float80-transcendental.js';

const v = (se: number, sig: bigint): F80 => new F80(se >>> 15, se & 0x7fff, sig);
const text = (x: F80): string => x.toString();

describe('rounding', () => {
  test('1/3 at 24, 53 and 64 bits of precision control', () => {
    const third = (cw: number): string => text(A.div(v(0x3fff, 1n << 63n), v(0x4000, 0xc000000000000000n), cw, new RoundInfo()));
    expect(third(0x007f)).toBe('3ffd:aaaaab0000000000');
    expect(third(0x027f)).toBe('3ffd:aaaaaaaaaaaaa800');
    expect(third(0x037f)).toBe('3ffd:aaaaaaaaaaaaaaab');
  });

  test('sqrt(2) to nearest', () => {
    expect(text(A.sqrt(v(0x4000, 1n << 63n), 0x037f, new RoundInfo()))).toBe('3fff:b504f333f9de6484');
  });

  test('a tiny result keeps the bits precision control allows at 2^emin, not from its own leading bit (host)', () => {
    const info = new RoundInfo();
    const r = A.add(v(0x0000, 0x0fa0060fa86bd0d7n), v(0, 0n), false, 0x027f, info);
    expect(text(r)).toBe('0000:0fa0060fa86bd000');
    expect(info.exc & (Exc.UE | Exc.PE)).toBe(Exc.UE | Exc.PE);
  });

  test('tininess is detected after rounding: a product that rounds up to 2^emin raises no UE (host)', () => {
    const info = new RoundInfo();
    const r = A.mul(v(0xbffe, 0xffffff8000000001n), v(0x0000, 0x8000000000000001n), 0x007f, info);
    expect(text(r)).toBe('8001:8000000000000000');
    expect(info.exc & 0x3f).toBe(Exc.PE | Exc.DE);
    expect(info.up).toBe(1);
  });
});

describe('constants and transcendentals', () => {
  test('FLDPI by rounding mode: nearest and up round up, down and chop do not', () => {
    const pi = CONSTANTS[3]!;
    expect([0, 1, 2, 3].map((rc) => text(pi(rc as 0)))).toEqual([
      '4000:c90fdaa22168c235',
      '4000:c90fdaa22168c234',
      '4000:c90fdaa22168c235',
      '4000:c90fdaa22168c234',
    ]);
  });

  test("FSIN reduces by the processor's 66-bit π (the host's result, not the exactly reduced one)", () => {
    const r = T.trig(v(0xc00b, 0xdce85a9617acc852n), T.Trig.SIN, 0x037f, new RoundInfo());
    expect(r && text(r)).toBe('bffd:e3a6874ec7544d44');
  });

  test('FSIN of 2^63 or more is out of range (C2)', () => {
    expect(T.trig(v(0x403e, 1n << 63n), T.Trig.SIN, 0x037f, new RoundInfo())).toBeNull();
  });
});

describe('FPREM', () => {
  test('a partial step reduces the exponent difference D to N = 32 + ((D - 32) mod 32) (host)', () => {
    const r = A.prem(v(0xbff4, 0xe8f8d349b5464757n), v(0x800d, 0xfffffffffffff800n), false, 0x037f, new RoundInfo());
    expect(r.partial).toBe(true);
    expect(text(r.value)).toBe('bfcd:a3274f634d26d000');
  });
});
