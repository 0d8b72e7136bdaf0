#include "runtime.h"

void runtime_init(void) {
  serial_init(); /* first, so a fault during the rest can be reported */
  gdt_init();
  idt_init();
}
