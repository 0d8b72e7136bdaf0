/*
 * The guest runtime's interface. A guest defines
 *     int kmain(uint32_t magic, const struct multiboot_info *mbi);
 * which runs after the runtime has set up COM1, the GDT and the IDT; its return value is
 * passed to exit().
 */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#include <stdint.h>
#include "multiboot.h"
#include "io-ports.h"
#include "serial.h"
#include "format.h"
#include "gdt.h"
#include "traps.h"
#include "debug-exit.h"
#include "interrupt-control.h"
#include "pic8259.h"
#include "pit8254.h"

int kmain(uint32_t magic, const struct multiboot_info *mbi);

/* Called by _start before kmain. */
void runtime_init(void);

#endif
