/*
 * compute-paging: the compute guest (guests/compute, unchanged, included below) run with paging
 * on: before its first part it identity-maps the low 64 MiB with 4 KiB pages (32-bit paging, no
 * large or global pages) and sets CR0.PG, then does exactly the same work, so it prints exactly
 * what compute prints. bench:cpu times it beside compute, under hvmsim and QEMU, for the cost of
 * running every access through the TLB.
 */
#define kmain compute_kmain
#include "../compute/compute.c"
#undef kmain

#define MAPPED_MIB 64u
#define TABLES (MAPPED_MIB / 4u)

static uint32_t page_directory[1024] __attribute__((aligned(4096)));
static uint32_t page_tables[TABLES][1024] __attribute__((aligned(4096)));

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  for (uint32_t t = 0; t < TABLES; t++) {
    for (uint32_t i = 0; i < 1024; i++) page_tables[t][i] = ((t * 1024u + i) << 12) | 0x3u; /* present, writable */
    page_directory[t] = (uint32_t)(uintptr_t)page_tables[t] | 0x3u;
  }
  __asm__ volatile("movl %0, %%cr3" : : "r"((uint32_t)(uintptr_t)page_directory) : "memory");
  uint32_t cr0;
  __asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("movl %0, %%cr0" : : "r"(cr0 | 0x80000000u) : "memory");
  return compute_kmain(magic, mbi);
}
