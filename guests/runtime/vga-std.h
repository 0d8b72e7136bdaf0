/*
 * What every VGA guest does around its drawing: find QEMU's std VGA (PCI 1234:1111) on bus 0,
 * take BAR0 as the linear frame buffer (firmware or the toolstack chose it: never assume it),
 * negotiate the DISPI interface, and at the end report a CRC-32 of the frame read back and
 * either exit or hold the picture (command line hold=1) for a screendump.
 */
#ifndef GUEST_VGA_STD_H
#define GUEST_VGA_STD_H

#include <stdint.h>
#include "cmdline.h"
#include "crc32.h"
#include "format.h"
#include "pci.h"
#include "rep-string.h"
#include "vbe.h"

#define STD_VGA_VENDOR 0x1234u
#define STD_VGA_DEVICE 0x1111u
#define VGA_WINDOW 0xA0000u
/* The widest row any guest reads back at once: 640 pixels of 32 bits. */
#define VGA_MAX_ROW_BYTES 2560u

struct vga_std {
  unsigned dev;  /* bus 0, function 0 */
  uint32_t lfb;  /* guest-physical address of the frame buffer */
};

/* Finds and prepares the device, printing one line; returns 0, or 1 after a failure line. */
static inline int vga_std_open(const char *guest, struct vga_std *vga) {
  int dev = pci_find_bus0(STD_VGA_VENDOR, STD_VGA_DEVICE);
  if (dev < 0) {
    printf("%s: no std VGA (%04x:%04x) on PCI bus 0\n", guest, STD_VGA_VENDOR, STD_VGA_DEVICE);
    return 1;
  }
  vga->dev = (unsigned)dev;
  pci_enable_decoding(0, vga->dev, 0);
  vga->lfb = pci_memory_bar(0, vga->dev, 0, 0);
  uint16_t id = vbe_negotiate_id();
  /* The BAR's value differs between platforms (QEMU's SeaBIOS vs the toolstack): not printed. */
  printf("%s: std VGA %04x:%04x at 00:%02x.0, LFB from BAR0, DISPI id 0x%04x\n", guest, STD_VGA_VENDOR,
         STD_VGA_DEVICE, vga->dev, id);
  if (id != VBE_DISPI_ID5) {
    printf("%s: DISPI id is not 0x%04x\n", guest, VBE_DISPI_ID5);
    return 1;
  }
  if (vga->lfb == 0) {
    printf("%s: BAR0 is not assigned\n", guest);
    return 1;
  }
  crc32_init();
  return 0;
}

/* Sets a mode and prints it; returns 0, or 1 after a failure line. */
static inline int vga_std_mode(const char *guest, uint16_t xres, uint16_t yres, uint16_t bpp, uint16_t enable) {
  int ok = vbe_set_mode(xres, yres, bpp, enable);
  printf("%s: mode %ux%ux%u, %s: %s\n", guest, xres, yres, bpp,
         (enable & VBE_DISPI_LFB_ENABLED) ? "linear frame buffer" : "banked 0xA0000 window",
         ok ? "registers read back as set" : "registers read back wrong");
  return ok ? 0 : 1;
}

static uint8_t vga_row_buffer[VGA_MAX_ROW_BYTES];

/*
 * CRC-32 of the visible frame, read back through the LFB row by row. REP MOVSL brings a row
 * into RAM in one string operation (an emulator that traps the LFB can serve it a page at a
 * time), so reading back costs little next to the drawing being measured.
 */
static inline uint32_t vga_lfb_crc32(uint32_t lfb, uint32_t row_bytes, uint32_t rows) {
  uint32_t crc = 0;
  for (uint32_t y = 0; y < rows; y++) {
    rep_movsl(vga_row_buffer, (const volatile void *)(uintptr_t)(lfb + y * row_bytes), row_bytes / 4);
    crc = crc32_update(crc, vga_row_buffer, row_bytes);
  }
  return crc;
}

/*
 * Prints the checksum line. With hold=1 on the command line, then prints "vga: holding" and
 * spins with interrupts off, so the final frame stays up for a screendump (the test quits
 * QEMU); otherwise returns 0 for kmain to exit with.
 */
static inline int vga_finish(const char *guest, uint32_t crc, const struct multiboot_info *mbi) {
  printf("%s: frame crc32 0x%08x\n", guest, crc);
  if (cmdline_uint(mbi, "hold", 0)) {
    printf("vga: holding\n");
    for (;;) __asm__ volatile("pause" : : : "memory");
  }
  return 0;
}

#endif
