/*
 * The i8042 and its PS/2 mouse, polled (interrupts off) while a guest sets them up; shared by
 * mouse-draw and irq-window. Each reply is awaited with a bounded poll of the status register.
 */
#ifndef GUEST_PS2_CONTROLLER_H
#define GUEST_PS2_CONTROLLER_H

#include <stdint.h>
#include "../runtime/format.h"
#include "../runtime/io-ports.h"

#define I8042_DATA 0x60
#define I8042_STATUS 0x64
#define I8042_COMMAND 0x64

#define I8042_STAT_OBF 0x01u
#define I8042_STAT_IBF 0x02u
#define I8042_STAT_AUX 0x20u

/* Command byte: IRQ 1, IRQ 12, system flag, translation to scan code set 1. */
#define I8042_MODE_KBD_INT 0x01u
#define I8042_MODE_AUX_INT 0x02u
#define I8042_MODE_SYS 0x04u
#define I8042_MODE_TRANSLATE 0x40u

#define KBD_IRQ 1
#define MOUSE_IRQ 12

#define PS2_POLLS 100000u

static inline void i8042_wait_write(void) {
  for (uint32_t i = 0; i < PS2_POLLS && (inb(I8042_STATUS) & I8042_STAT_IBF); i++) {
  }
}

static inline void i8042_command(uint8_t c) {
  i8042_wait_write();
  outb(I8042_COMMAND, c);
}

static inline void i8042_data(uint8_t d) {
  i8042_wait_write();
  outb(I8042_DATA, d);
}

/* The next byte from the controller, or -1 if none comes. */
static inline int i8042_read(void) {
  for (uint32_t i = 0; i < PS2_POLLS; i++) {
    if (inb(I8042_STATUS) & I8042_STAT_OBF) return inb(I8042_DATA);
  }
  return -1;
}

/* Empty the output buffer. */
static inline void i8042_flush(void) {
  for (uint32_t i = 0; i < 64 && (inb(I8042_STATUS) & I8042_STAT_OBF); i++) (void)inb(I8042_DATA);
}

/* A byte to the mouse (controller command D4) and its first reply byte. */
static inline int ps2_mouse_command(uint8_t c) {
  i8042_command(0xD4);
  i8042_data(c);
  return i8042_read();
}

/*
 * Controller self test, aux port test, the keyboard's scanning on, mouse reset and ID, defaults,
 * 100 samples/s and, last, reporting on. Prints what the devices answered in one line; returns 0
 * if every answer was the expected one, else 1. Leaves both interrupts off in the command byte
 * (the caller turns them on once its handlers are in place) and translation on.
 *
 * Nothing but replies may arrive while this polls: hvmsim's input script holds every event
 * behind the first mouse event, which waits for reporting to be on, so the scripts of these
 * guests start with a mouse event; reporting goes on last.
 */
static inline int ps2_setup(const char *guest) {
  i8042_command(0xAD); /* keyboard off */
  i8042_command(0xA7); /* aux off */
  i8042_flush();
  i8042_command(0xAA);
  int self_test = i8042_read();
  i8042_command(0x60);
  i8042_data(I8042_MODE_SYS | I8042_MODE_TRANSLATE);
  i8042_command(0xA9);
  int aux_test = i8042_read();
  i8042_command(0xA8); /* aux on */
  i8042_command(0xAE); /* keyboard on */
  i8042_data(0xF4);    /* keyboard scanning on */
  int kbd_ack = i8042_read();
  int ack = ps2_mouse_command(0xFF);
  int bat = i8042_read();
  int id = i8042_read();
  int ok = ack == 0xFA && bat == 0xAA && id == 0x00;
  ok &= ps2_mouse_command(0xF2) == 0xFA;
  int type = i8042_read();
  ok &= ps2_mouse_command(0xF6) == 0xFA;
  ok &= ps2_mouse_command(0xF3) == 0xFA && ps2_mouse_command(100) == 0xFA;
  ok &= ps2_mouse_command(0xF4) == 0xFA;
  ok &= self_test == 0x55 && aux_test == 0x00 && type == 0x00 && kbd_ack == 0xFA;
  printf("%s: i8042 self test 0x%02x, aux test 0x%02x, mouse reset %02x %02x %02x, ID 0x%02x, reporting on; keyboard 0x%02x\n",
         guest, self_test & 0xFF, aux_test & 0xFF, ack & 0xFF, bat & 0xFF, id & 0xFF, type & 0xFF, kbd_ack & 0xFF);
  return ok ? 0 : 1;
}

/* Turn the controller's IRQ 1 and IRQ 12 on (handlers installed, PIC unmasked). */
static inline void ps2_interrupts_on(void) {
  i8042_command(0x60);
  i8042_data(I8042_MODE_KBD_INT | I8042_MODE_AUX_INT | I8042_MODE_SYS | I8042_MODE_TRANSLATE);
}

#endif
