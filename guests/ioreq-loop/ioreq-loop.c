/*
 * ioreq-loop: the ioreq benchmark's guest. A tight loop of OUT then IN on COM1's scratch
 * register (0x3FF), a device-model port with no side effects, so every iteration is two
 * synchronous ioreq round trips and nothing else. iterations=N on the command line (default
 * 20000). Checks every value read back. Exit code 0 when all matched, else 1.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"

#define UART_SCRATCH 0x3FF

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t n = cmdline_uint(mbi, "iterations", 20000u);
  uint32_t bad = 0;
  for (uint32_t i = 0; i < n; i++) {
    outb(UART_SCRATCH, (uint8_t)i);
    if (inb(UART_SCRATCH) != (uint8_t)i) bad++;
  }
  printf("ioreq-loop: %u round trips of out+in on port 0x%x, %u mismatches\n", n, UART_SCRATCH, bad);
  return bad ? 1 : 0;
}
