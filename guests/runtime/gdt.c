/*
 * The multiboot loader's GDT may live anywhere (even in memory we overwrite), so the guest
 * installs its own and reloads every segment register from it.
 */
#include <stdint.h>
#include "gdt.h"

struct table_pointer {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed));

/* base 0, limit 0xFFFFF in 4 KiB units, 32-bit; access 0x9A = present ring-0 code execute/read,
 * 0x92 = present ring-0 data read/write. */
static const uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8))) = {
    0x0000000000000000ull,
    0x00CF9A000000FFFFull,
    0x00CF92000000FFFFull,
};

void gdt_init(void) {
  const struct table_pointer ptr = {sizeof gdt - 1, (uint32_t)(uintptr_t)gdt};
  __asm__ volatile(
      "lgdt %0\n\t"
      "ljmp %1, $1f\n" /* a far jump is the only way to reload CS */
      "1:\n\t"
      "movw %w2, %%ax\n\t"
      "movw %%ax, %%ds\n\t"
      "movw %%ax, %%es\n\t"
      "movw %%ax, %%fs\n\t"
      "movw %%ax, %%gs\n\t"
      "movw %%ax, %%ss"
      :
      : "m"(ptr), "i"(GDT_CODE_SELECTOR), "i"(GDT_DATA_SELECTOR)
      : "eax", "memory");
}
