/* Reading a decimal "key=value" from the multiboot command line (QEMU: -append; hvmsim: --cmdline). */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H

#include <stdint.h>
#include "multiboot.h"

/* The value of `key` (e.g. "iterations") in the command line, or `fallback` if absent. */
static inline uint32_t cmdline_uint(const struct multiboot_info *mbi, const char *key, uint32_t fallback) {
  if (!mbi || !(mbi->flags & MULTIBOOT_INFO_CMDLINE) || !mbi->cmdline) return fallback;
  const char *s = (const char *)(uintptr_t)mbi->cmdline;
  for (; *s; s++) {
    const char *k = key;
    const char *p = s;
    while (*k && *p == *k) k++, p++;
    if (*k || *p != '=' || (s != (const char *)(uintptr_t)mbi->cmdline && s[-1] != ' ')) continue;
    uint32_t v = 0;
    for (p++; *p >= '0' && *p <= '9'; p++) v = v * 10 + (uint32_t)(*p - '0');
    return v;
  }
  return fallback;
}

#endif
