/* The 8254 PIT's channel 0 (IRQ 0), programmed by the guest: see pic8259.h for why. */
#ifndef GUEST_PIT8254_H
#define GUEST_PIT8254_H

#include <stdint.h>
#include "io-ports.h"

#define PIT_HZ 1193182u
#define PIT_CHANNEL0 0x40
#define PIT_COMMAND 0x43

#define PIT_MODE_RATE 2   /* one short low pulse every divisor cycles */
#define PIT_MODE_SQUARE 3

/* Channel 0, low byte then high byte, binary, in mode; divisor 0 means 65536. */
static inline void pit_start_channel0(unsigned mode, uint16_t divisor) {
  outb(PIT_COMMAND, (uint8_t)(0x30 | (mode << 1)));
  outb(PIT_CHANNEL0, (uint8_t)divisor);
  outb(PIT_CHANNEL0, (uint8_t)(divisor >> 8));
}

/* Channel 0's current count: a counter-latch command freezes it for the two reads. */
static inline uint16_t pit_read_channel0(void) {
  outb(PIT_COMMAND, 0x00);
  uint8_t low = inb(PIT_CHANNEL0);
  uint8_t high = inb(PIT_CHANNEL0);
  return (uint16_t)(low | (high << 8));
}

#endif
