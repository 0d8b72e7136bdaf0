/* CRC-32 (IEEE 802.3, reflected, as zlib's crc32), table-driven, built on first use. */
#ifndef GUEST_CRC32_H
#define GUEST_CRC32_H

#include <stdint.h>

#define CRC32_POLY_REFLECTED 0xEDB88320u

static uint32_t crc32_table[256];

static inline void crc32_init(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? CRC32_POLY_REFLECTED ^ (c >> 1) : c >> 1;
    crc32_table[n] = c;
  }
}

/* Start with crc = 0 and feed the bytes in order; call crc32_init() once first. */
static inline uint32_t crc32_update(uint32_t crc, const uint8_t *p, uint32_t n) {
  crc = ~crc;
  while (n--) crc = crc32_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

#endif
