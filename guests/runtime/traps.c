/* IDT set-up and the C dispatcher the entry stubs call. */
#include <stddef.h>
#include "traps.h"
#include "gdt.h"
#include "format.h"
#include "debug-exit.h"

#define IDT_ENTRIES 256
#define GATE_INTERRUPT32 0x8E /* present, DPL 0, 32-bit interrupt gate (clears IF on entry) */

struct idt_gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t zero;
  uint8_t type_attr;
  uint16_t offset_high;
} __attribute__((packed));

struct table_pointer {
  uint16_t limit;
  uint32_t base;
} __attribute__((packed));

extern const uint32_t trap_stub_table[TRAP_STUBS];

/* A full 256-entry table, so a stray vector >= 48 meets a not-present gate, not the IDT limit. */
static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(8)));
static trap_handler handlers[TRAP_STUBS];

static void set_gate(unsigned vector, uint32_t offset) {
  idt[vector].offset_low = (uint16_t)offset;
  idt[vector].selector = GDT_CODE_SELECTOR;
  idt[vector].zero = 0;
  idt[vector].type_attr = GATE_INTERRUPT32;
  idt[vector].offset_high = (uint16_t)(offset >> 16);
}

void idt_init(void) {
  for (unsigned v = 0; v < 32; v++) set_gate(v, trap_stub_table[v]);
  const struct table_pointer ptr = {sizeof idt - 1, (uint32_t)(uintptr_t)idt};
  __asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}

void trap_install(unsigned vector, trap_handler handler) {
  if (vector >= TRAP_STUBS) return;
  handlers[vector] = handler;
  set_gate(vector, trap_stub_table[vector]);
}

int trap_has_error_code(unsigned vector) {
  switch (vector) {
    case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21: case 29: case 30:
      return 1;
    default:
      return 0;
  }
}

void trap_dispatch(struct trap_frame *frame);

void trap_dispatch(struct trap_frame *frame) {
  trap_handler h = frame->vector < TRAP_STUBS ? handlers[frame->vector] : NULL;
  if (h) {
    h(frame);
    return;
  }
  printf("unhandled trap: vector %u error %08x eip %08x\n", frame->vector, frame->error_code,
         frame->eip);
  exit(EXIT_UNHANDLED_TRAP);
}
