/*
 * The 8259A PIC pair. Guests program it themselves: under QEMU SeaBIOS has already initialised
 * it, under hvmsim it starts in its power-on state, and a full ICW1-4 sequence makes both the same.
 */
#ifndef GUEST_PIC8259_H
#define GUEST_PIC8259_H

#include <stdint.h>
#include "io-ports.h"

#define PIC_MASTER_CMD 0x20
#define PIC_MASTER_DATA 0x21
#define PIC_SLAVE_CMD 0xA0
#define PIC_SLAVE_DATA 0xA1

/* Where pic_remap puts the IRQs: 0-7 at vectors 0x20-0x27, 8-15 at 0x28-0x2F (traps.h keeps
 * stubs for vectors 32-47 for them). */
#define PIC_MASTER_VECTOR 0x20
#define PIC_SLAVE_VECTOR 0x28
#define PIC_VECTOR(irq) ((irq) < 8 ? PIC_MASTER_VECTOR + (irq) : PIC_SLAVE_VECTOR + (irq) - 8)
#define PIC_CASCADE_IRQ 2

#define PIC_ICW1_INIT_ICW4 0x11 /* initialise, edge triggered, cascaded, ICW4 follows */
#define PIC_ICW4_8086 0x01      /* 8086 mode, normal (not automatic) EOI */
#define PIC_OCW2_EOI 0x20       /* non-specific EOI */
#define PIC_OCW3_READ_IRR 0x0A
#define PIC_OCW3_READ_ISR 0x0B

/* Initialises both chips with the given vector bases and leaves every IRQ masked. */
static inline void pic_remap(uint8_t master_base, uint8_t slave_base) {
  outb(PIC_MASTER_CMD, PIC_ICW1_INIT_ICW4);
  outb(PIC_SLAVE_CMD, PIC_ICW1_INIT_ICW4);
  outb(PIC_MASTER_DATA, master_base);
  outb(PIC_SLAVE_DATA, slave_base);
  outb(PIC_MASTER_DATA, 1u << PIC_CASCADE_IRQ); /* ICW3: the slave hangs on IR2 */
  outb(PIC_SLAVE_DATA, PIC_CASCADE_IRQ);        /* ICW3: slave identity */
  outb(PIC_MASTER_DATA, PIC_ICW4_8086);
  outb(PIC_SLAVE_DATA, PIC_ICW4_8086);
  outb(PIC_MASTER_DATA, 0xFF);
  outb(PIC_SLAVE_DATA, 0xFF);
}

/* OCW1: a set bit masks that IRQ (bit n of slave_mask is IRQ 8 + n). */
static inline void pic_set_masks(uint8_t master_mask, uint8_t slave_mask) {
  outb(PIC_MASTER_DATA, master_mask);
  outb(PIC_SLAVE_DATA, slave_mask);
}

/* End of interrupt for irq: a slave IRQ needs an EOI on both chips. */
static inline void pic_eoi(unsigned irq) {
  if (irq >= 8) outb(PIC_SLAVE_CMD, PIC_OCW2_EOI);
  outb(PIC_MASTER_CMD, PIC_OCW2_EOI);
}

/* The master's in-service register (OCW3 selects it; the choice sticks until changed). */
static inline uint8_t pic_master_isr(void) {
  outb(PIC_MASTER_CMD, PIC_OCW3_READ_ISR);
  return inb(PIC_MASTER_CMD);
}

#endif
