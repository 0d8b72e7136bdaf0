/*
 * PCI configuration mechanism #1 (ports 0xCF8 / 0xCFC): finding a function on bus 0 and
 * reading its BARs. Only 32-bit accesses, the one width every host bridge must decode.
 */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <stdint.h>
#include "io-ports.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA 0xCFC
#define PCI_CONFIG_ENABLE 0x80000000u

#define PCI_VENDOR_ID 0x00 /* vendor in bits 0-15, device in 16-31 */
#define PCI_COMMAND 0x04   /* command in bits 0-15, status (write 1 to clear) in 16-31 */
#define PCI_BAR0 0x10
#define PCI_COMMAND_IO 0x1u
#define PCI_COMMAND_MEMORY 0x2u
#define PCI_BAR_MEMORY_MASK 0xFFFFFFF0u /* the low 4 bits of a memory BAR are type flags */
#define PCI_NO_DEVICE 0xFFFFu           /* what an empty slot returns as vendor */
#define PCI_DEVICES_PER_BUS 32

static inline uint32_t pci_config_address(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  return PCI_CONFIG_ENABLE | (bus << 16) | (dev << 11) | (fn << 8) | (reg & 0xFCu);
}

static inline uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  outl(PCI_CONFIG_ADDRESS, pci_config_address(bus, dev, fn, reg));
  return inl(PCI_CONFIG_DATA);
}

static inline void pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned reg, uint32_t value) {
  outl(PCI_CONFIG_ADDRESS, pci_config_address(bus, dev, fn, reg));
  outl(PCI_CONFIG_DATA, value);
}

/* The device number (function 0) on bus 0 with this vendor:device, or -1 if none has it. */
static inline int pci_find_bus0(uint16_t vendor, uint16_t device) {
  uint32_t want = ((uint32_t)device << 16) | vendor;
  for (unsigned dev = 0; dev < PCI_DEVICES_PER_BUS; dev++) {
    if (pci_read32(0, dev, 0, PCI_VENDOR_ID) == want) return (int)dev;
  }
  return -1;
}

/* The address a memory BAR decodes at (as firmware or the toolstack assigned it). */
static inline uint32_t pci_memory_bar(unsigned bus, unsigned dev, unsigned fn, unsigned bar) {
  return pci_read32(bus, dev, fn, PCI_BAR0 + 4 * bar) & PCI_BAR_MEMORY_MASK;
}

/* Turns on I/O and memory decoding; firmware normally has, but a guest must not depend on it. */
static inline void pci_enable_decoding(unsigned bus, unsigned dev, unsigned fn) {
  uint32_t command = pci_read32(bus, dev, fn, PCI_COMMAND) & 0xFFFFu; /* status bits: write 0, clear none */
  pci_write32(bus, dev, fn, PCI_COMMAND, command | PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
}

#endif
