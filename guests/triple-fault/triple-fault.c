/*
 * triple-fault: prints one line, loads an IDT with limit 0 and executes ud2. The #UD gate lies
 * beyond the limit, which is a #GP; so is the #GP gate, which makes a double fault; so is the
 * #DF gate, and the CPU shuts down (triple fault).
 * How the run ends is the emulator's business: QEMU resets the machine (with -no-reboot it exits
 * with status 0), hvmsim crashes the domain and reports it. The guest does not depend on either.
 * If execution continues past ud2 the guest says so and exits with 1 (EXIT_CHECK_FAILED).
 */
#include "../runtime/runtime.h"

struct table_pointer {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed));

/* Limit 0: no 8-byte gate fits, so every vector faults at delivery. */
static const struct table_pointer empty_idt = {0, 0};

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  (void)mbi;
  printf("triple-fault: loading an IDT with limit 0, then ud2\n");
  __asm__ volatile("lidt %0\n\tud2" : : "m"(empty_idt) : "memory");
  printf("triple-fault: still running after ud2 with no usable IDT\n");
  return EXIT_CHECK_FAILED;
}
