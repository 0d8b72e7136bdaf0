/*
 * The x87 categories the x87 guest prints: each runs its instruction over every pair (or each)
 * of a fixed table of 80-bit inputs — zeros, denormals, a pseudo-denormal, an unnormal,
 * infinities, NaNs, values at rounding boundaries — under several control words, and folds the
 * results (80-bit value or memory image, status word, EFLAGS for FCOMI) into a CRC-32.
 * Everything the instructions do goes through inline assembly: the compiler emits no x87 code
 * of its own (the guests build with -mgeneral-regs-only).
 */
#include <stdint.h>
#include "x87-checks.h"
#include "../runtime/crc32.h"

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct f80 {
  uint64_t sig;
  uint16_t se;
} __attribute__((packed));

/* Ordinary operands: normal numbers, zeros, an infinity, a quiet NaN. */
static const struct f80 ordinary[] = {
    {0x0000000000000000ull, 0x0000}, /* +0 */
    {0x0000000000000000ull, 0x8000}, /* -0 */
    {0x8000000000000000ull, 0x3fff}, /* 1 */
    {0xc000000000000000ull, 0xc000}, /* -3 */
    {0xaaaaaaaaaaaaaaabull, 0x3ffd}, /* ~1/3 */
    {0xfffffffffffff800ull, 0x4034}, /* a 53-bit boundary */
    {0xffffff8000000001ull, 0xbffe}, /* a 24-bit boundary */
    {0xc90fdaa22168c235ull, 0x4003}, /* ~4 pi */
    {0x8000000000000000ull, 0x7fff}, /* +inf */
    {0xc000000000000000ull, 0xffff}, /* the indefinite */
    {0xb17217f7d1cf79acull, 0x3ffe}, /* ~ln 2 */
    {0x9c40000000000000ull, 0x400c}, /* 10000 */
};

/* The edges: denormals, a pseudo-denormal, an unnormal, an SNaN, the ends of the range. */
static const struct f80 edges[] = {
    {0x0000012345678901ull, 0x0000}, /* denormal */
    {0x8000000000000001ull, 0x0000}, /* pseudo-denormal */
    {0x8000000000000000ull, 0x7ffe}, /* huge */
    {0x8000000000000000ull, 0x0001}, /* tiny normal */
    {0xffffffffffffffffull, 0x3ffe}, /* just below 1 */
    {0xc000000000000001ull, 0xffff}, /* -QNaN */
    {0xa000000000000000ull, 0x7fff}, /* SNaN */
    {0x4000000000000000ull, 0x4000}, /* unnormal */
    {0x8000000000000000ull, 0x3fff}, /* 1 */
    {0x0000000000000000ull, 0x8000}, /* -0 */
};

/* Precision 64/53/24 with round-to-nearest, and the three other roundings at 64 and 24 bits. */
static const uint16_t control_words[] = {0x037f, 0x027f, 0x007f, 0x077f, 0x0b7f, 0x0f7f, 0x0c7f};
#define N_CW (sizeof control_words / sizeof control_words[0])

struct result {
  struct f80 r0, r1;
  uint16_t sw;
  uint32_t eflags;
  uint8_t mem[10];
} __attribute__((packed));

typedef void (*binary_op)(const struct f80 *a, const struct f80 *b, const uint16_t *cw, struct result *out);

/* ST(0) = a, ST(1) = b; INSN; the status word; ST(0) stored (and ST(1) for two-result forms). */
#define BINARY(name, insn)                                                                         \
  static void name(const struct f80 *a, const struct f80 *b, const uint16_t *cw, struct result *o) { \
    __asm__ volatile("fninit\n fldcw %[cw]\n fldt %[b]\n fldt %[a]\n " insn "\n"                  \
                     " fnstsw %[sw]\n fstpt %[r0]\n fninit"                                        \
                     : [r0] "=m"(o->r0), [sw] "=m"(o->sw)                                          \
                     : [a] "m"(*a), [b] "m"(*b), [cw] "m"(*cw)                                     \
                     : "memory");                                                                  \
  }

BINARY(op_fadd, "fadd %%st(1), %%st")
BINARY(op_fsub, "fsub %%st(1), %%st")
BINARY(op_fsubr, "fsubr %%st(1), %%st")
BINARY(op_fmul, "fmul %%st(1), %%st")
BINARY(op_fdiv, "fdiv %%st(1), %%st")
BINARY(op_fdivr, "fdivr %%st(1), %%st")
BINARY(op_fprem, "fprem")
BINARY(op_fprem1, "fprem1")
BINARY(op_fscale, "fscale")
BINARY(op_fpatan, "fpatan")
BINARY(op_fyl2x, "fyl2x")
BINARY(op_fyl2xp1, "fyl2xp1")
BINARY(op_fsqrt, "fsqrt")
BINARY(op_frndint, "frndint")
BINARY(op_fxam, "fxam")
BINARY(op_fabs_chs, "fabs\n fchs")
BINARY(op_f2xm1, "f2xm1")
BINARY(op_fsin, "fsin")
BINARY(op_fcos, "fcos")

/* Two results: ST(0) and ST(1) after the instruction. */
#define TWO_RESULTS(name, insn)                                                                    \
  static void name(const struct f80 *a, const struct f80 *b, const uint16_t *cw, struct result *o) { \
    __asm__ volatile("fninit\n fldcw %[cw]\n fldt %[b]\n fldt %[a]\n " insn "\n"                  \
                     " fnstsw %[sw]\n fstpt %[r0]\n fstpt %[r1]\n fninit"                          \
                     : [r0] "=m"(o->r0), [r1] "=m"(o->r1), [sw] "=m"(o->sw)                        \
                     : [a] "m"(*a), [b] "m"(*b), [cw] "m"(*cw)                                     \
                     : "memory");                                                                  \
  }

TWO_RESULTS(op_fxtract, "fxtract")
TWO_RESULTS(op_fptan, "fptan")
TWO_RESULTS(op_fsincos, "fsincos")

/* A store to memory: the image and the status word (ST(0) = a). */
#define STORE(name, insn)                                                                          \
  static void name(const struct f80 *a, const struct f80 *b, const uint16_t *cw, struct result *o) { \
    __asm__ volatile("fninit\n fldcw %[cw]\n fldt %[b]\n fldt %[a]\n " insn " %[m]\n"             \
                     " fnstsw %[sw]\n fninit"                                                      \
                     : [m] "=m"(o->mem), [sw] "=m"(o->sw)                                          \
                     : [a] "m"(*a), [b] "m"(*b), [cw] "m"(*cw)                                     \
                     : "memory");                                                                  \
  }

STORE(op_fst32, "fsts")
STORE(op_fst64, "fstl")
STORE(op_fist16, "fists")
STORE(op_fist32, "fistl")
STORE(op_fist64, "fistpll")
STORE(op_fbstp, "fbstp")

static void op_fcomi(const struct f80 *a, const struct f80 *b, const uint16_t *cw, struct result *o) {
  __asm__ volatile("fninit\n fldcw %[cw]\n fldt %[b]\n fldt %[a]\n"
                   " xor %%eax, %%eax\n push %%eax\n popfl\n fcomi %%st(1), %%st\n pushfl\n popl %[fl]\n"
                   " fucomi %%st(1), %%st\n fnstsw %[sw]\n fninit"
                   : [fl] "=m"(o->eflags), [sw] "=m"(o->sw)
                   : [a] "m"(*a), [b] "m"(*b), [cw] "m"(*cw)
                   : "eax", "memory", "cc");
}

/* The constants under each rounding: FLD1 … FLDZ pushed, stored, and the status word. */
static uint32_t constants_crc(void) {
  uint32_t crc = 0;
  for (unsigned k = 0; k < N_CW; k++) {
    struct f80 v[7];
    uint16_t sw;
    __asm__ volatile("fninit\n fldcw %[cw]\n fld1\n fldl2t\n fldl2e\n fldpi\n fldlg2\n fldln2\n fldz\n fnstsw %[sw]\n"
                     " fstpt %[v6]\n fstpt %[v5]\n fstpt %[v4]\n fstpt %[v3]\n fstpt %[v2]\n fstpt %[v1]\n fstpt %[v0]\n fninit"
                     : [v0] "=m"(v[0]), [v1] "=m"(v[1]), [v2] "=m"(v[2]), [v3] "=m"(v[3]), [v4] "=m"(v[4]),
                       [v5] "=m"(v[5]), [v6] "=m"(v[6]), [sw] "=m"(sw)
                     : [cw] "m"(control_words[k])
                     : "memory");
    crc = crc32_update(crc, (const uint8_t *)v, sizeof v);
    crc = crc32_update(crc, (const uint8_t *)&sw, sizeof sw);
  }
  return crc;
}

/* FNSAVE after a push, an exchange and a free: control, status, tags and registers (not the pointers). */
static uint32_t fsave_crc(void) {
  uint8_t image[108];
  const uint16_t cw = 0x0b7f;
  __asm__ volatile("fninit\n fldcw %[cw]\n fldpi\n fld1\n fldz\n fxch %%st(2)\n ffree %%st(1)\n fdecstp\n fnsave %[img]\n fninit"
                   : [img] "=m"(image)
                   : [cw] "m"(cw)
                   : "memory");
  uint32_t crc = crc32_update(0, image, 12);
  return crc32_update(crc, image + 28, 80);
}

struct category {
  const char *name;
  binary_op op;
  int binary; /* every pair of inputs, or each input once (with b = 1) */
};

static const struct category categories[] = {
    {"fadd", op_fadd, 1},     {"fsub", op_fsub, 1},       {"fsubr", op_fsubr, 1},     {"fmul", op_fmul, 1},
    {"fdiv", op_fdiv, 1},     {"fdivr", op_fdivr, 1},     {"fprem", op_fprem, 1},     {"fprem1", op_fprem1, 1},
    {"fscale", op_fscale, 1}, {"fcomi/fucomi", op_fcomi, 1}, {"fsqrt", op_fsqrt, 0},  {"frndint", op_frndint, 0},
    {"fxam", op_fxam, 0},     {"fabs/fchs", op_fabs_chs, 0}, {"fxtract", op_fxtract, 0}, {"fst m32", op_fst32, 0},
    {"fst m64", op_fst64, 0}, {"fist m16", op_fist16, 0}, {"fist m32", op_fist32, 0}, {"fistp m64", op_fist64, 0},
    {"fbstp", op_fbstp, 0},
};
#define N_CATEGORIES (sizeof categories / sizeof categories[0])

/* Two CRCs: of the results (values, memory images, EFLAGS) and of the status words. */
static void category_crc(const struct category *cat, const struct f80 *in, unsigned n, uint32_t *values, uint32_t *status) {
  static const struct f80 one = {0x8000000000000000ull, 0x3fff};
  uint32_t crc = 0, swcrc = 0;
  for (unsigned k = 0; k < N_CW; k++) {
    for (unsigned i = 0; i < n; i++) {
      for (unsigned j = 0; j < (cat->binary ? n : 1); j++) {
        struct result r;
        for (unsigned z = 0; z < sizeof r; z++) ((uint8_t *)&r)[z] = 0;
        cat->op(&in[i], cat->binary ? &in[j] : &one, &control_words[k], &r);
        r.eflags &= 0x8d5; /* the arithmetic flags (IF and the rest depend on the environment) */
        swcrc = crc32_update(swcrc, (const uint8_t *)&r.sw, sizeof r.sw);
        r.sw = 0;
        crc = crc32_update(crc, (const uint8_t *)&r, sizeof r);
      }
    }
  }
  *values = crc;
  *status = swcrc;
}

/*
 * The transcendentals, each value printed (the host's may differ from the correctly rounded
 * one by an ulp, which a CRC would hide): arguments inside each instruction's documented domain,
 * round to nearest, 64-bit precision.
 */
struct transcendental {
  const char *name;
  binary_op op;
  const struct f80 *x; /* ST(0) */
  unsigned n;
};

static const struct f80 unit_args[] = { /* |x| < 1 */
    {0x8000000000000000ull, 0x3ffe}, {0xc000000000000000ull, 0xbffd}, {0xa7c5ac471b478423ull, 0x3fee},
    {0xb333333333333333ull, 0x3ffe}, {0x8000000000000000ull, 0x3fd7}, {0xfd70a3d70a3d70a4ull, 0xbffe},
};
static const struct f80 small_args[] = { /* |x| < 1 - sqrt(2)/2 */
    {0x8000000000000000ull, 0x3ffc}, {0xc000000000000000ull, 0xbffc}, {0xa7c5ac471b478423ull, 0x3fee},
    {0x8000000000000000ull, 0x3fd7}, {0x9000000000000000ull, 0xbffc}, {0x8637bd05af6c69b6ull, 0x3feb},
};
static const struct f80 positive_args[] = {
    {0xc000000000000000ull, 0x4000}, {0xa000000000000000ull, 0x4002}, {0x8000000000000001ull, 0x3fff},
    {0x83126e978d4fdf3bull, 0x3ff5}, {0xfa00000000000000ull, 0x4008}, {0xc000000000000000ull, 0x3ffe},
};
static const struct f80 angle_args[] = { /* |x| < 2^63 */
    {0xb333333333333333ull, 0x3ffe}, {0xc000000000000000ull, 0xc000}, {0xc90fdaa22168c235ull, 0x4000},
    {0x8000000000000000ull, 0x3fd7}, {0x9c40000000000000ull, 0x400c}, {0xc90fdaa22168c235ull, 0x3fff},
};
#define ARGS(a) a, sizeof a / sizeof a[0]

static const struct transcendental transcendentals[] = {
    {"f2xm1", op_f2xm1, ARGS(unit_args)},      {"fyl2xp1", op_fyl2xp1, ARGS(small_args)},
    {"fyl2x", op_fyl2x, ARGS(positive_args)},   {"fpatan", op_fpatan, ARGS(angle_args)},
    {"fsin", op_fsin, ARGS(angle_args)},        {"fcos", op_fcos, ARGS(angle_args)},
    {"fptan", op_fptan, ARGS(angle_args)},      {"fsincos", op_fsincos, ARGS(angle_args)},
};
#define N_TRANSCENDENTALS (sizeof transcendentals / sizeof transcendentals[0])

static void print_f80(const struct f80 *v) {
  printf(" %04x:%08x%08x", v->se, (uint32_t)(v->sig >> 32), (uint32_t)v->sig);
}

void x87_checks(void) {
  crc32_init();
  for (unsigned set = 0; set < 2; set++) {
    for (unsigned c = 0; c < N_CATEGORIES; c++) {
      uint32_t values, status;
      if (set == 0) category_crc(&categories[c], ordinary, sizeof ordinary / sizeof ordinary[0], &values, &status);
      else category_crc(&categories[c], edges, sizeof edges / sizeof edges[0], &values, &status);
      printf("%s %-14s values %08x status %08x\n", set == 0 ? "ordinary" : "edges   ", categories[c].name, values, status);
    }
  }
  printf("%-23s %08x\n", "constants", constants_crc());
  printf("%-23s %08x\n", "fnsave", fsave_crc());
  static const uint16_t cw = 0x037f;
  static const struct f80 y = {0xc000000000000000ull, 0xc000}; /* ST(1) = -3 */
  for (unsigned t = 0; t < N_TRANSCENDENTALS; t++) {
    const struct transcendental *tr = &transcendentals[t];
    printf("%s:", tr->name);
    for (unsigned i = 0; i < tr->n; i++) {
      struct result r;
      for (unsigned z = 0; z < sizeof r; z++) ((uint8_t *)&r)[z] = 0;
      tr->op(&tr->x[i], &y, &cw, &r);
      print_f80(&r.r0);
      if (tr->op == op_fsincos || tr->op == op_fptan) print_f80(&r.r1);
    }
    printf("\n");
  }
}
