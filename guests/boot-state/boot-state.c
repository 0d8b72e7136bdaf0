/*
 * Prints the machine state a multiboot loader hands over, for the differential test that holds
 * hvmsim's loader to QEMU's (test/boot-state.test.ts): the registers, selectors and control
 * registers recorded by boot-state-entry.S before anything ran, the descriptor tables at GDTR,
 * and every field of the multiboot information with what it points to (command line, loader
 * name, memory map, modules with their strings and a CRC-32 of their bytes).
 *
 * It sets nothing up before recording (no GDT, no IDT, no stack); afterwards it programs COM1
 * and finally checks what a kernel that never loads a GDT relies on: an IDT whose gate uses the
 * CS it was started with takes an INT3 and returns. Exit code 0 (status 1).
 */
#include <stdint.h>
#include "../runtime/crc32.h"
#include "../runtime/debug-exit.h"
#include "../runtime/format.h"
#include "../runtime/serial.h"

uint32_t entry_regs[8];
uint16_t entry_selectors[8];
uint8_t entry_gdtr[6];
uint8_t entry_idtr[6];
uint32_t entry_control[4];
volatile uint32_t breakpoints_taken;
void breakpoint_stub(void);

static uint32_t idt[2 * 4] __attribute__((aligned(8)));

/* One interrupt gate for #BP through the loader's code selector, then INT3. */
static void check_interrupt_through_loader_gdt(uint16_t cs) {
  uint32_t handler = (uint32_t)breakpoint_stub;
  idt[2 * 3] = (handler & 0xFFFF) | ((uint32_t)cs << 16);
  idt[2 * 3 + 1] = (handler & 0xFFFF0000u) | 0x8E00; /* present, DPL 0, 32-bit interrupt gate */
  struct __attribute__((packed)) { uint16_t limit; uint32_t base; } idtr = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile("lidt %0; int3" : : "m"(idtr) : "memory");
  printf("int3 through a gate with cs %04x: %s\n", cs, breakpoints_taken == 1 ? "taken" : "not taken");
}

static const char *const REG_NAMES[8] = {"eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp"};
static const char *const SEL_NAMES[8] = {"cs", "ds", "es", "fs", "gs", "ss", "ldtr", "tr"};

static uint32_t rd32(uint32_t addr) {
  return *(volatile const uint32_t *)addr;
}

static uint32_t load32(const uint8_t *p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* A string the loader points to, printed with its address; at most `max` bytes. */
static void print_string(const char *label, uint32_t addr, uint32_t max) {
  printf("%s 0x%08x \"", label, addr);
  const volatile char *s = (const volatile char *)addr;
  for (uint32_t i = 0; i < max && s[i]; i++) {
    char c = s[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') printf("%c", c);
    else printf("\\x%02x", (unsigned char)c);
  }
  printf("\"\n");
}

/* LAR and LSL of a selector: what the descriptor it names says (ZF clear: not readable). */
static void print_descriptor_checks(const char *name, uint16_t sel) {
  uint32_t ar = 0, limit = 0;
  uint8_t ok_ar, ok_limit;
  __asm__ volatile("larl %k2, %0; setz %1" : "+r"(ar), "=q"(ok_ar) : "r"((uint32_t)sel) : "cc");
  __asm__ volatile("lsll %k2, %0; setz %1" : "+r"(limit), "=q"(ok_limit) : "r"((uint32_t)sel) : "cc");
  printf("lar %s %s0x%08x lsl %s0x%08x\n", name, ok_ar ? "" : "fault ", ok_ar ? ar : 0, ok_limit ? "" : "fault ", ok_limit ? limit : 0);
}

static void dump_multiboot(uint32_t mbi) {
  printf("mbi 0x%08x\n", mbi);
  for (int off = 0; off < 88; off += 16) {
    printf("mbi+%02x", off);
    for (int k = 0; k < 16 && off + k < 88; k += 4) printf(" %08x", rd32(mbi + off + k));
    printf("\n");
  }
  uint32_t flags = rd32(mbi);
  if (flags & (1u << 2)) print_string("cmdline", rd32(mbi + 16), 512);
  if (flags & (1u << 9)) print_string("boot_loader_name", rd32(mbi + 64), 64);
  if (flags & (1u << 3)) {
    uint32_t count = rd32(mbi + 20), addr = rd32(mbi + 24);
    printf("mods %u at 0x%08x\n", count, addr);
    crc32_init();
    for (uint32_t i = 0; i < count && i < 16; i++) {
      uint32_t d = addr + 16 * i;
      uint32_t start = rd32(d), end = rd32(d + 4);
      printf("mod %u 0x%08x-0x%08x reserved %08x crc32 %08x\n", i, start, end, rd32(d + 12),
             end >= start ? crc32_update(0, (const uint8_t *)start, end - start) : 0);
      print_string("mod string", rd32(d + 8), 256);
    }
  }
  if (flags & (1u << 6)) {
    uint32_t len = rd32(mbi + 44), addr = rd32(mbi + 48);
    printf("mmap %u bytes at 0x%08x\n", len, addr);
    for (uint32_t p = addr; p < addr + len;) {
      uint32_t size = rd32(p);
      printf("mmap size %u base 0x%08x%08x length 0x%08x%08x type %u\n", size, rd32(p + 8), rd32(p + 4), rd32(p + 16),
             rd32(p + 12), rd32(p + 20));
      if (size == 0) break;
      p += size + 4;
    }
  }
}

void boot_state_main(void) {
  serial_init();
  printf("boot-state\n");
  for (int i = 0; i < 8; i++) printf("%s %08x\n", REG_NAMES[i], entry_regs[i]);
  for (int i = 0; i < 8; i++) printf("%s %04x\n", SEL_NAMES[i], entry_selectors[i]);
  printf("cr0 %08x cr3 %08x cr4 %08x eflags %08x\n", entry_control[0], entry_control[1], entry_control[2],
         entry_control[3]);
  uint32_t gdt_base = load32(entry_gdtr + 2), gdt_limit = entry_gdtr[0] | (entry_gdtr[1] << 8);
  uint32_t idt_base = load32(entry_idtr + 2), idt_limit = entry_idtr[0] | (entry_idtr[1] << 8);
  printf("gdtr base 0x%08x limit 0x%04x\n", gdt_base, gdt_limit);
  for (uint32_t off = 0; off + 7 <= gdt_limit && off < 0x100; off += 8) {
    const volatile uint8_t *d = (const volatile uint8_t *)(gdt_base + off);
    printf("gdt %02x:", off);
    for (int k = 0; k < 8; k++) printf(" %02x", d[k]);
    printf("\n");
  }
  printf("idtr base 0x%08x limit 0x%04x\n", idt_base, idt_limit);
  for (int i = 0; i < 6; i++) print_descriptor_checks(SEL_NAMES[i], entry_selectors[i]);
  dump_multiboot(entry_regs[1]);
  check_interrupt_through_loader_gdt(entry_selectors[0]);
  printf("boot-state: done\n");
  exit(EXIT_OK);
}
