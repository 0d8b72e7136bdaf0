/*
 * compute: the CPU benchmark guest. A fixed mix of integer work, each part printing its result
 * and the run ending with a checksum over all of them:
 *   sieve     primes below SIEVE_LIMIT (Eratosthenes, byte per number)
 *   crc32     table-driven CRC-32 (IEEE, reflected) of "123456789" and of a generated buffer
 *   matmul    int32 matrix products, each feeding the next
 *   heapsort  pseudo-random words, then checked to be in order
 *   divide    32-bit unsigned and signed division and remainder
 *   mul64     64-bit multiply / divide (runtime/divide64.c) and a Miller-Rabin prime count
 * The sizes below are compile-time constants chosen so that the whole run takes about 0.5 s
 * under QEMU TCG (see guests/README.md for the measured time and instruction count). Nothing depends on time or on the platform, so the
 * output is the same wherever it runs. Exit code: 0 if the self-checks hold, else 1.
 */
#include "../runtime/runtime.h"

/* COMPUTE_SCALE multiplies every part's repetitions; 1 is about 1.6 x 10^8 instructions. */
#define COMPUTE_SCALE 5u
#define SIEVE_LIMIT 1000000u
#define SIEVE_ROUNDS (2u * COMPUTE_SCALE)
#define CRC_BUFFER_BYTES 65536u
#define CRC_ROUNDS (24u * COMPUTE_SCALE)
#define MATRIX_N 48u
#define MATRIX_ROUNDS (12u * COMPUTE_SCALE)
#define SORT_WORDS 65536u
#define SORT_ROUNDS (1u * COMPUTE_SCALE)
#define DIVIDE_ITERATIONS (500000u * COMPUTE_SCALE)
#define MR_RANGE_START 4000000000u
#define MR_RANGE_LENGTH (10000u * COMPUTE_SCALE)
#define LCG64_ITERATIONS (10000u * COMPUTE_SCALE)

static uint32_t results[16];
static unsigned result_count;

static void record(uint32_t v) {
  results[result_count++] = v;
}

/* xorshift32 (Marsaglia 2003): the only source of "random" data, so a host model can follow. */
static uint32_t xorshift32(uint32_t *state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

/* ---- sieve ---- */
static uint8_t composite[SIEVE_LIMIT];

static void part_sieve(void) {
  uint32_t count = 0, largest = 0, sum = 0;
  for (uint32_t round = 0; round < SIEVE_ROUNDS; round++) {
    for (uint32_t i = 0; i < SIEVE_LIMIT; i++) composite[i] = 0;
    count = 0;
    largest = 0;
    sum = 0;
    for (uint32_t i = 2; i < SIEVE_LIMIT; i++) {
      if (composite[i]) continue;
      count++;
      largest = i;
      sum += i;
      if (i <= SIEVE_LIMIT / i)
        for (uint32_t j = i * i; j < SIEVE_LIMIT; j += i) composite[j] = 1;
    }
  }
  printf("sieve: primes below %u: %u, largest %u, sum mod 2^32 %08x\n", SIEVE_LIMIT, count,
         largest, sum);
  record(count);
  record(sum);
}

/* ---- crc32 ---- */
static uint32_t crc_table[256];
static uint8_t crc_buffer[CRC_BUFFER_BYTES];

static void crc_init(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[n] = c;
  }
}

/* Continues a CRC-32: pass 0 to start, the previous result to append more bytes. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint32_t n) {
  crc = ~crc;
  while (n--) crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

static void part_crc32(void) {
  crc_init();
  const char *check = "123456789";
  uint32_t check_crc = crc32_update(0, (const uint8_t *)check, 9);
  uint32_t seed = 0x12345678u;
  for (uint32_t i = 0; i < CRC_BUFFER_BYTES; i++) crc_buffer[i] = (uint8_t)(xorshift32(&seed) >> 24);
  uint32_t crc = 0;
  for (uint32_t round = 0; round < CRC_ROUNDS; round++)
    crc = crc32_update(crc, crc_buffer, CRC_BUFFER_BYTES);
  printf("crc32: check %08x, %u x %u bytes %08x\n", check_crc, CRC_ROUNDS, CRC_BUFFER_BYTES, crc);
  record(check_crc);
  record(crc);
}

/* ---- matmul ---- */
static int32_t mat_a[MATRIX_N][MATRIX_N], mat_b[MATRIX_N][MATRIX_N], mat_c[MATRIX_N][MATRIX_N];

static void part_matmul(void) {
  uint32_t seed = 0x9E3779B9u;
  for (uint32_t i = 0; i < MATRIX_N; i++)
    for (uint32_t j = 0; j < MATRIX_N; j++) {
      mat_a[i][j] = (int32_t)(xorshift32(&seed) & 0xFFFF) - 0x8000;
      mat_b[i][j] = (int32_t)(xorshift32(&seed) & 0xFFFF) - 0x8000;
    }
  uint32_t checksum = 0;
  for (uint32_t round = 0; round < MATRIX_ROUNDS; round++) {
    for (uint32_t i = 0; i < MATRIX_N; i++)
      for (uint32_t j = 0; j < MATRIX_N; j++) {
        uint32_t acc = 0; /* unsigned: wrap-around is intended, not undefined */
        for (uint32_t k = 0; k < MATRIX_N; k++) acc += (uint32_t)mat_a[i][k] * (uint32_t)mat_b[k][j];
        mat_c[i][j] = (int32_t)acc;
      }
    /* Next A: the product scaled back to 16-bit range, so the rounds depend on each other. */
    for (uint32_t i = 0; i < MATRIX_N; i++)
      for (uint32_t j = 0; j < MATRIX_N; j++) {
        mat_a[i][j] = mat_c[i][j] >> 16;
        checksum = (checksum << 5 | checksum >> 27) ^ (uint32_t)mat_c[i][j];
      }
  }
  printf("matmul: %u rounds of %ux%u, checksum %08x, c[0][0] %d\n", MATRIX_ROUNDS, MATRIX_N,
         MATRIX_N, checksum, mat_c[0][0]);
  record(checksum);
  record((uint32_t)mat_c[0][0]);
}

/* ---- heapsort ---- */
static uint32_t sort_data[SORT_WORDS];

static void sift_down(uint32_t *a, uint32_t root, uint32_t n) {
  uint32_t v = a[root];
  for (;;) {
    uint32_t child = 2 * root + 1;
    if (child >= n) break;
    if (child + 1 < n && a[child + 1] > a[child]) child++;
    if (a[child] <= v) break;
    a[root] = a[child];
    root = child;
  }
  a[root] = v;
}

static void heapsort(uint32_t *a, uint32_t n) {
  for (uint32_t i = n / 2; i-- > 0;) sift_down(a, i, n);
  for (uint32_t end = n; end-- > 1;) {
    uint32_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_down(a, 0, end);
  }
}

static int part_heapsort(void) {
  uint32_t seed = 0xC0FFEE11u;
  uint32_t weighted = 0;
  int ordered = 1;
  for (uint32_t round = 0; round < SORT_ROUNDS; round++) {
    for (uint32_t i = 0; i < SORT_WORDS; i++) sort_data[i] = xorshift32(&seed);
    heapsort(sort_data, SORT_WORDS);
    for (uint32_t i = 1; i < SORT_WORDS; i++)
      if (sort_data[i - 1] > sort_data[i]) ordered = 0;
    /* Position-weighted sum: only the sorted order gives this value. */
    for (uint32_t i = 0; i < SORT_WORDS; i++) weighted += sort_data[i] * (i + 1);
  }
  printf("heapsort: %u rounds of %u words, %s, min %08x, max %08x, weighted %08x\n", SORT_ROUNDS,
         SORT_WORDS, ordered ? "in order" : "OUT OF ORDER", sort_data[0],
         sort_data[SORT_WORDS - 1], weighted);
  record(weighted);
  return ordered;
}

/* ---- divide ---- */
static void part_divide(void) {
  uint32_t seed = 0x0BADF00Du;
  uint32_t acc_u = 0, acc_s = 0;
  for (uint32_t i = 1; i <= DIVIDE_ITERATIONS; i++) {
    uint32_t x = xorshift32(&seed);
    uint32_t d = (x >> (i & 15)) | 1; /* divisors of every magnitude, never 0 */
    uint32_t y = xorshift32(&seed);
    acc_u = acc_u * 31 + (y / d) + (y % d);
    /* Signed: a divisor in -2^15..2^15-1 other than 0 and -1, so INT_MIN / -1 cannot occur. */
    int32_t sd = (int32_t)(x & 0xFFFF) - 0x8000;
    if (sd == 0 || sd == -1) sd = 7;
    int32_t sy = (int32_t)y;
    acc_s = acc_s * 33 + (uint32_t)(sy / sd) + (uint32_t)(sy % sd);
  }
  printf("divide: %u iterations, unsigned %08x, signed %08x\n", DIVIDE_ITERATIONS, acc_u, acc_s);
  record(acc_u);
  record(acc_s);
}

/* ---- mul64 ---- */
static uint32_t mulmod32(uint32_t a, uint32_t b, uint32_t m) {
  return (uint32_t)((uint64_t)a * b % m);
}

static uint32_t powmod32(uint32_t base, uint32_t exp, uint32_t m) {
  uint32_t result = 1 % m;
  base %= m;
  while (exp) {
    if (exp & 1) result = mulmod32(result, base, m);
    base = mulmod32(base, base, m);
    exp >>= 1;
  }
  return result;
}

/* Deterministic for every n < 2^32 with bases 2, 7 and 61 (Jaeschke 1993). */
static int is_prime32(uint32_t n) {
  static const uint32_t bases[3] = {2, 7, 61};
  if (n < 2) return 0;
  if (n % 2 == 0) return n == 2;
  uint32_t d = n - 1, s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    s++;
  }
  for (int b = 0; b < 3; b++) {
    uint32_t a = bases[b] % n;
    if (a == 0) continue;
    uint32_t x = powmod32(a, d, n);
    if (x == 1 || x == n - 1) continue;
    int witness = 1;
    for (uint32_t r = 1; r < s && witness; r++) {
      x = mulmod32(x, x, n);
      if (x == n - 1) witness = 0;
    }
    if (witness) return 0;
  }
  return 1;
}

static void part_mul64(void) {
  uint32_t primes = 0;
  for (uint32_t n = MR_RANGE_START; n < MR_RANGE_START + MR_RANGE_LENGTH; n++) primes += is_prime32(n);

  /* 64-bit LCG (Knuth's MMIX constants) with full 64-by-64 division and remainder. */
  uint64_t x = 1, mix = 0;
  int64_t smix = 0;
  for (uint32_t i = 0; i < LCG64_ITERATIONS; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t d = (x >> (i % 48)) | 1;
    mix += x / d + x % d;
    int64_t sx = (int64_t)x, sdv = (int64_t)(x >> 20) - (int64_t)(x >> 40);
    if (sdv == 0) sdv = 3;
    smix ^= sx / sdv + sx % sdv;
  }
  printf("mul64: primes in [%u, %u): %u, mix %08x%08x, signed %08x%08x\n", MR_RANGE_START,
         MR_RANGE_START + MR_RANGE_LENGTH, primes, (uint32_t)(mix >> 32), (uint32_t)mix,
         (uint32_t)((uint64_t)smix >> 32), (uint32_t)smix);
  record(primes);
  record((uint32_t)mix);
  record((uint32_t)(mix >> 32));
  record((uint32_t)smix);
  record((uint32_t)((uint64_t)smix >> 32));
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  (void)mbi;
  printf("compute: start\n");
  part_sieve();
  part_crc32();
  part_matmul();
  int ordered = part_heapsort();
  part_divide();
  part_mul64();
  uint32_t checksum = crc32_update(0, (const uint8_t *)results, result_count * 4);
  printf("compute: checksum %08x over %u results\n", checksum, result_count);
  return ordered ? EXIT_OK : EXIT_CHECK_FAILED;
}
