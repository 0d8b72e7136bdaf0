/* Multiboot v1 constants and the boot information structure (multiboot specification 0.6.96, §3.3). */
#ifndef GUEST_MULTIBOOT_H
#define GUEST_MULTIBOOT_H

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002u
/* Value of EAX when a multiboot loader hands over control. */
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
/* Header flags: bit 0 = page-align modules, bit 1 = pass memory information. */
#define MULTIBOOT_HEADER_FLAGS 0x00000003u

/* Info flags. */
#define MULTIBOOT_INFO_MEMORY (1u << 0)
#define MULTIBOOT_INFO_CMDLINE (1u << 2)

#ifndef __ASSEMBLER__
#include <stdint.h>

struct multiboot_info {
  uint32_t flags;
  uint32_t mem_lower; /* KiB below 1 MiB, valid if MULTIBOOT_INFO_MEMORY */
  uint32_t mem_upper; /* KiB above 1 MiB, valid if MULTIBOOT_INFO_MEMORY */
  uint32_t boot_device;
  uint32_t cmdline; /* physical address of a NUL-terminated string */
  /* Later fields (modules, symbols, memory map, ...) are not used by these guests. */
};
#endif

#endif
