/*
 * paging-pae: PAE paging (Intel SDM Vol. 3A §4.4) with execute-disable, under QEMU
 * (`-cpu qemu32,+nx`: QEMU's default qemu32 model has no NX) and hvmsim. Identity-maps the low
 * 8 MiB with four 2 MiB pages and maps test pages at 0x40000000 through a 4 KiB page table,
 * then checks: the 2 MiB PDE's A and D bits; execute-disable (EFER.NXE) in a PTE and in a PDE
 * (#PF with I/D), and that data reads of such a page are allowed; reserved bits (bit 62, and bit
 * 63 with NXE clear); on-demand mapping; A and D bits of a PAE PTE.
 * Output: one line per check, then a summary. Exit code 0 if every check held, else 1.
 */
#include "../runtime/runtime.h"
#include "../runtime/paging.h"

#define TEST_BASE 0x40000000u
#define DEMAND_BASE 0x40100000u
#define DEMAND_END 0x40104000u
#define XD_HI 0x80000000u   /* bit 63, in the high dword */
#define RSVD62_HI 0x40000000u

static volatile uint64_t pdpt[4] __attribute__((aligned(32)));
static volatile uint64_t pd_low[512] __attribute__((aligned(4096)));
static volatile uint64_t pd_test[512] __attribute__((aligned(4096)));
static volatile uint64_t pt_test[512] __attribute__((aligned(4096)));
#define POOL_PAGES 8
static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned pool_next;
static unsigned checks, passed;
static volatile uint32_t pf_count, pf_last_error, pf_last_cr2;

static uint32_t phys(const volatile void *p) { return (uint32_t)(uintptr_t)p; }
static volatile uint64_t *pte_for(uint32_t lin) { return &pt_test[(lin >> 12) & 0x1ff]; }
static void set_hi(volatile uint64_t *e, uint32_t hi) { *e = (*e & 0xffffffffu) | ((uint64_t)hi << 32); }

static void check(int ok, const char *what) {
  checks++;
  if (ok) passed++;
  printf("paging-pae: %s: %s\n", what, ok ? "ok" : "MISMATCH");
}

static void on_page_fault(struct trap_frame *f) {
  uint32_t cr2 = read_cr2();
  pf_count++;
  pf_last_error = f->error_code;
  pf_last_cr2 = cr2;
  if (!(f->error_code & 1) && cr2 >= DEMAND_BASE && cr2 < DEMAND_END && pool_next < POOL_PAGES) {
    *pte_for(cr2) = phys(pool[pool_next++]) | PTE_P | PTE_RW;
    return;
  }
  if (probe_fault_resume(f)) return;
  printf("paging-pae: unexpected #PF at eip %08x, cr2 %08x, error %x\n", f->eip, cr2, f->error_code);
  exit(EXIT_CHECK_FAILED);
}

static void pf_reset(void) { pf_count = pf_last_error = pf_last_cr2 = 0; }

static void test_large_page(void) {
  /* The code, the stack and the tables all live in the first 2 MiB page by now. */
  uint32_t ad = (uint32_t)pd_low[0] & (PTE_A | PTE_D);
  uint32_t ad2 = (uint32_t)pd_low[3] & (PTE_A | PTE_D);
  printf("paging-pae: 2 MiB PDE A/D: %x for the page in use, %x for an unused one\n", ad, ad2);
  check(ad == (PTE_A | PTE_D) && ad2 == 0, "2 MiB pages: A and D set by use only");
}

static void test_nx(void) {
  uint8_t *code = pool[pool_next++];
  code[0] = 0xc3; /* ret */
  uint32_t lin = TEST_BASE + 0x1000u;
  *pte_for(lin) = phys(code) | PTE_P | PTE_RW | ((uint64_t)XD_HI << 32);
  invlpg(lin);
  pf_reset();
  int f0 = probe_call(lin);
  uint32_t e0 = pf_last_error, c0 = pf_last_cr2;
  uint32_t v = 0;
  int r0 = probe_read32(lin, &v);
  set_hi(pte_for(lin), 0);
  invlpg(lin);
  int f1 = probe_call(lin);
  set_hi(&pd_test[0], XD_HI);
  invlpg(lin);
  int f2 = probe_call(lin);
  uint32_t e2 = pf_last_error;
  set_hi(&pd_test[0], 0);
  invlpg(lin);
  int f3 = probe_call(lin);
  printf("paging-pae: NX in the PTE: call faults %u, error %x, cr2 %08x, read faults %u (byte %x); cleared: call faults %u\n",
         f0, e0, c0, r0, v & 0xff, f1);
  printf("paging-pae: NX in the PDE: call faults %u, error %x; cleared: call faults %u\n", f2, e2, f3);
  check(f0 && e0 == 0x11 && c0 == lin && !r0 && (v & 0xff) == 0xc3 && !f1 && f2 && e2 == 0x11 && !f3,
        "execute-disable at either level is #PF with I/D|P on the fetch, data reads pass");
}

static void test_reserved(void) {
  uint32_t *frame = (uint32_t *)pool[pool_next++];
  uint32_t lin = TEST_BASE + 0x2000u;
  *pte_for(lin) = phys(frame) | PTE_P | PTE_RW | ((uint64_t)RSVD62_HI << 32);
  invlpg(lin);
  pf_reset();
  uint32_t v;
  int r = probe_read32(lin + 4, &v);
  uint32_t re = pf_last_error;
  int w = probe_write32(lin + 4, 5);
  uint32_t we = pf_last_error;
  /* With NXE clear, bit 63 is reserved too. */
  *pte_for(lin) = phys(frame) | PTE_P | PTE_RW | ((uint64_t)XD_HI << 32);
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_NXE);
  invlpg(lin);
  int x = probe_read32(lin + 4, &v);
  uint32_t xe = pf_last_error;
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
  invlpg(lin);
  int x2 = probe_read32(lin + 4, &v);
  /* Error codes without P: the SDM sets it with RSVD, QEMU 7.2's TCG does not (see paging.c). */
  printf("paging-pae: reserved bit 62: read fault %u error without P %x, write fault %u error without P %x; bit 63 with NXE clear: fault %u error without P %x; with NXE set: fault %u\n",
         r, re & ~1u, w, we & ~1u, x, xe & ~1u, x2);
  check(r && (re & ~1u) == 0x8 && w && (we & ~1u) == 0xa && x && (xe & ~1u) == 0x8 && !x2, "reserved bits are #PF with RSVD");
}

static void test_demand_and_ad(void) {
  pf_reset();
  for (uint32_t p = DEMAND_BASE; p < DEMAND_END; p += 4096) *(volatile uint32_t *)(p + 0x80) = p;
  uint32_t ok = 1;
  for (uint32_t p = DEMAND_BASE; p < DEMAND_END; p += 4096) ok &= *(volatile uint32_t *)(p + 0x80) == p;
  printf("paging-pae: demand paging: %u faults, last error %x, cr2 %08x, values %s\n", pf_count, pf_last_error, pf_last_cr2,
         ok ? "read back" : "WRONG");
  check(pf_count == 4 && pf_last_error == 0x2 && pf_last_cr2 == DEMAND_END - 4096 + 0x80 && ok, "demand paging under PAE");

  uint32_t lin = TEST_BASE + 0x3000u;
  *pte_for(lin) = phys(pool[pool_next++]) | PTE_P | PTE_RW;
  invlpg(lin);
  uint32_t a0 = (uint32_t)*pte_for(lin) & (PTE_A | PTE_D);
  (void)*(volatile uint32_t *)lin;
  uint32_t a1 = (uint32_t)*pte_for(lin) & (PTE_A | PTE_D);
  *(volatile uint32_t *)lin = 1;
  uint32_t a2 = (uint32_t)*pte_for(lin) & (PTE_A | PTE_D);
  printf("paging-pae: PTE A/D: %x before, %x after a read, %x after a write\n", a0, a1, a2);
  check(a0 == 0 && a1 == PTE_A && a2 == (PTE_A | PTE_D), "A and D in a PAE PTE");
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  (void)mbi;
  uint32_t a, b, c, d;
  cpuid(1, &a, &b, &c, &d);
  uint32_t pae = (d >> 6) & 1;
  cpuid(0x80000000u, &a, &b, &c, &d);
  uint32_t nx = 0;
  if (a >= 0x80000001u) {
    cpuid(0x80000001u, &a, &b, &c, &d);
    nx = (d >> 20) & 1;
  }
  printf("paging-pae: CPUID PAE %u, NX %u\n", pae, nx);
  if (!pae || !nx) {
    printf("paging-pae: needs PAE and NX\n");
    return EXIT_CHECK_FAILED;
  }
  trap_install(VEC_PF, on_page_fault);
  for (unsigned i = 0; i < 4; i++) pd_low[i] = ((uint64_t)i << 21) | PTE_PS | PTE_P | PTE_RW;
  pd_test[0] = phys(pt_test) | PTE_P | PTE_RW;
  pdpt[0] = phys(pd_low) | PTE_P;
  pdpt[1] = phys(pd_test) | PTE_P;
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
  write_cr4(read_cr4() | CR4_PAE);
  write_cr3(phys(pdpt));
  write_cr0(read_cr0() | CR0_PG);
  printf("paging-pae: on, EFER.NXE %u\n", (uint32_t)(rdmsr(MSR_EFER) >> 11) & 1);
  test_large_page();
  test_nx();
  test_reserved();
  test_demand_and_ad();
  write_cr0(read_cr0() & ~CR0_PG);
  printf("paging-pae: %u of %u checks ok\n", passed, checks);
  return passed == checks ? 0 : EXIT_CHECK_FAILED;
}
