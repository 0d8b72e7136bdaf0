/*
 * hello: the smallest guest. Prints a greeting, the multiboot magic and whether the loader
 * passed memory sizes (not their values: QEMU and hvmsim report different ones), and one line
 * that exercises the formatter.
 * Exit code: 0 if the magic is right and memory information is present, else 1.
 */
#include "../runtime/runtime.h"

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  printf("Hello from an hvmsim guest!\n");
  printf("multiboot magic: 0x%08x\n", magic);
  int has_memory = magic == MULTIBOOT_BOOTLOADER_MAGIC && (mbi->flags & MULTIBOOT_INFO_MEMORY);
  printf("mem_lower/mem_upper %s\n", has_memory ? "present" : "absent");
  printf("format: [%5d] [%-5d] [%05d] [%+d] [%x] [%08X] [%c] [%s] [%3s] [%%] [%u]\n", 42, 42, -42, 7,
         0xbeefu, 0xbeefu, 'Z', "str", "ab", 4294967295u);
  printf("bye\n");
  return magic == MULTIBOOT_BOOTLOADER_MAGIC && has_memory ? EXIT_OK : EXIT_CHECK_FAILED;
}
