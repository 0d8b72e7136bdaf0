/*
 * 64-bit division for a 32-bit target without libgcc: GCC turns `/` and `%` on 64-bit integers
 * into calls to these functions (names and meanings as libgcc's; GCC 12 uses the divmod forms
 * when a quotient and a remainder of the same operands are both needed).
 */
#include <stdint.h>

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
int64_t __divmoddi4(int64_t n, int64_t d, int64_t *rem);
int64_t __divdi3(int64_t n, int64_t d);
int64_t __moddi3(int64_t n, int64_t d);

/* One DIV instruction: (hi:lo) / d, with hi < d so the quotient fits in 32 bits. */
static inline uint32_t div_64_by_32(uint32_t hi, uint32_t lo, uint32_t d, uint32_t *rem) {
  uint32_t q, r;
  __asm__("divl %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
  *rem = r;
  return q;
}

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t *rem) {
  uint64_t q;
  uint64_t r;
  if (d == 0) {
    /* Raise #DE as the hardware would for a 32-bit division by zero. */
    volatile uint32_t zero = 0;
    q = 1u / zero;
    r = n;
  } else if ((d >> 32) == 0) {
    /* Divisor fits 32 bits: long division in two DIVs, base 2^32. */
    uint32_t d32 = (uint32_t)d, r32;
    uint32_t q_hi = div_64_by_32(0, (uint32_t)(n >> 32), d32, &r32);
    uint32_t q_lo = div_64_by_32(r32, (uint32_t)n, d32, &r32);
    q = ((uint64_t)q_hi << 32) | q_lo;
    r = r32;
  } else {
    /* Divisor >= 2^32: the quotient fits 32 bits, so restoring shift-subtract needs only the
     * low 32 steps (the high word alone is below d). A bit shifted out of r means r > d. */
    q = 0;
    r = n >> 32;
    for (int bit = 31; bit >= 0; bit--) {
      uint64_t carry = r >> 63;
      r = (r << 1) | ((n >> bit) & 1);
      if (carry || r >= d) {
        r -= d;
        q |= (uint64_t)1 << bit;
      }
    }
  }
  if (rem) *rem = r;
  return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d) {
  return __udivmoddi4(n, d, 0);
}

uint64_t __umoddi3(uint64_t n, uint64_t d) {
  uint64_t r;
  __udivmoddi4(n, d, &r);
  return r;
}

/* Signed forms: divide magnitudes; the quotient is negative when the signs differ, the
 * remainder takes the dividend's sign (C truncating division). */
int64_t __divmoddi4(int64_t n, int64_t d, int64_t *rem) {
  uint64_t un = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
  uint64_t ud = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
  uint64_t r;
  uint64_t q = __udivmoddi4(un, ud, &r);
  if (rem) *rem = (int64_t)(n < 0 ? (uint64_t)0 - r : r);
  return (int64_t)(((n < 0) != (d < 0)) ? (uint64_t)0 - q : q);
}

int64_t __divdi3(int64_t n, int64_t d) {
  return __divmoddi4(n, d, 0);
}

int64_t __moddi3(int64_t n, int64_t d) {
  int64_t r;
  __divmoddi4(n, d, &r);
  return r;
}
