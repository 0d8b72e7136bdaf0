/*
 * Idling as an OS's idle loop does: the PIT at `hz`, IRQ 0 the only interrupt unmasked, and
 * `sti; hlt` until `count` ticks have passed. The PIC is masked again at the last tick, so a
 * late tick never counts as one more. Used by the guests that measure what idling costs.
 */
#ifndef HVMSIM_IDLE_TICKS_H
#define HVMSIM_IDLE_TICKS_H

#include "runtime.h"

static volatile uint32_t idle_ticks_seen;
static uint32_t idle_ticks_target;

static void idle_ticks_on_timer(struct trap_frame *f) {
  (void)f;
  idle_ticks_seen++;
  if (idle_ticks_seen == idle_ticks_target) pic_set_masks(0xFF, 0xFF);
  pic_eoi(0);
}

static inline void idle_for_ticks(uint32_t hz, uint32_t count) {
  idle_ticks_target = count;
  pic_remap(PIC_MASTER_VECTOR, PIC_SLAVE_VECTOR);
  trap_install(PIC_VECTOR(0), idle_ticks_on_timer);
  pit_start_channel0(PIT_MODE_RATE, PIT_HZ / hz);
  pic_set_masks((uint8_t)~0x01u, 0xFF); /* IRQ 0 only */
  while (idle_ticks_seen < count) wait_for_interrupt();
}

#endif
