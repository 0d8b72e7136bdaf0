/*
 * The Bochs VBE "DISPI" interface of QEMU's std VGA: an index register at 0x1CE and a data
 * register at 0x1CF, both 16 bits wide, through which a guest sets a graphics mode directly.
 */
#ifndef GUEST_VBE_H
#define GUEST_VBE_H

#include <stdint.h>
#include "io-ports.h"

#define VBE_DISPI_IOPORT_INDEX 0x1CE
#define VBE_DISPI_IOPORT_DATA 0x1CF

enum {
  VBE_DISPI_INDEX_ID = 0,
  VBE_DISPI_INDEX_XRES = 1,
  VBE_DISPI_INDEX_YRES = 2,
  VBE_DISPI_INDEX_BPP = 3,
  VBE_DISPI_INDEX_ENABLE = 4,
  VBE_DISPI_INDEX_BANK = 5, /* 64 KiB window granularity */
  VBE_DISPI_INDEX_VIRT_WIDTH = 6,
  VBE_DISPI_INDEX_VIRT_HEIGHT = 7,
  VBE_DISPI_INDEX_X_OFFSET = 8,
  VBE_DISPI_INDEX_Y_OFFSET = 9,
};

#define VBE_DISPI_ID5 0xB0C5u
#define VBE_DISPI_DISABLED 0x00u
#define VBE_DISPI_ENABLED 0x01u
#define VBE_DISPI_LFB_ENABLED 0x40u
#define VBE_DISPI_NOCLEARMEM 0x80u
#define VBE_BANK_BYTES 0x10000u

static inline void vbe_write(uint16_t index, uint16_t value) {
  outw(VBE_DISPI_IOPORT_INDEX, index);
  outw(VBE_DISPI_IOPORT_DATA, value);
}

static inline uint16_t vbe_read(uint16_t index) {
  outw(VBE_DISPI_IOPORT_INDEX, index);
  return inw(VBE_DISPI_IOPORT_DATA);
}

/* Announces the newest interface version and returns what the device then reports. */
static inline uint16_t vbe_negotiate_id(void) {
  vbe_write(VBE_DISPI_INDEX_ID, VBE_DISPI_ID5);
  return vbe_read(VBE_DISPI_INDEX_ID);
}

/*
 * Sets xres x yres x bpp with the given ENABLE flags (VBE_DISPI_ENABLED | ...). The mode
 * registers are written while the display is disabled, as the interface requires. Returns 1
 * if the mode and the line width (VIRT_WIDTH, which enabling sets to xres) read back as set.
 */
static inline int vbe_set_mode(uint16_t xres, uint16_t yres, uint16_t bpp, uint16_t enable) {
  vbe_write(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_DISABLED);
  vbe_write(VBE_DISPI_INDEX_XRES, xres);
  vbe_write(VBE_DISPI_INDEX_YRES, yres);
  vbe_write(VBE_DISPI_INDEX_BPP, bpp);
  vbe_write(VBE_DISPI_INDEX_ENABLE, enable);
  return vbe_read(VBE_DISPI_INDEX_XRES) == xres && vbe_read(VBE_DISPI_INDEX_YRES) == yres &&
         vbe_read(VBE_DISPI_INDEX_BPP) == bpp && vbe_read(VBE_DISPI_INDEX_ENABLE) == enable &&
         vbe_read(VBE_DISPI_INDEX_VIRT_WIDTH) == xres && vbe_read(VBE_DISPI_INDEX_X_OFFSET) == 0 &&
         vbe_read(VBE_DISPI_INDEX_Y_OFFSET) == 0;
}

#endif
