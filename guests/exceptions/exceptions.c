/*
 * exceptions: provokes CPU exceptions through the guest's IDT and checks what the handler sees:
 * the vector, the error code where the CPU pushes one, and the saved EIP relative to the
 * faulting instruction (+0 for faults, past the instruction for traps). The handler resumes
 * after the instruction by rewriting the saved EIP, and sets EAX in the frame to show that the
 * frame is restored on IRET.
 * Output: one line per case, then a summary. Exit code: 0 if every case matched, else 1.
 */
#include "../runtime/runtime.h"

#define HANDLER_EAX 0xC0FFEE00u

struct trap_case {
  const char *name;
  uint32_t (*provoke)(void);
  const uint8_t *insn; /* the faulting instruction */
  const uint8_t *next; /* where execution resumes */
  uint32_t vector;
  uint32_t error_code;   /* expected, where the CPU pushes one */
  uint32_t eip_offset;   /* expected saved EIP - insn */
};

#define DECLARE_CASE(n)            \
  uint32_t provoke_##n(void);      \
  extern const uint8_t n##_insn[]; \
  extern const uint8_t n##_next[];

DECLARE_CASE(de_zero)
DECLARE_CASE(de_overflow)
DECLARE_CASE(ud_ud2)
DECLARE_CASE(bp_int3)
DECLARE_CASE(gp_load_ds)
DECLARE_CASE(gp_far_jump)

#define CASE(n, label, vec, err, off) {label, provoke_##n, n##_insn, n##_next, vec, err, off}

static const struct trap_case cases[] = {
    CASE(de_zero, "#DE divide by zero", VEC_DE, 0, 0),
    CASE(de_overflow, "#DE quotient overflow", VEC_DE, 0, 0),
    CASE(ud_ud2, "#UD ud2", VEC_UD, 0, 0),
    CASE(bp_int3, "#BP int3", VEC_BP, 0, 1),
    CASE(gp_load_ds, "#GP mov to DS, selector 0x4b", VEC_GP, 0x48, 0),
    CASE(gp_far_jump, "#GP far jump, selector 0x50", VEC_GP, 0x50, 0),
};
#define CASE_COUNT (sizeof cases / sizeof cases[0])

/* What the handler saw for the case in progress. */
static const struct trap_case *current;
static volatile uint32_t hits, seen_vector, seen_error, seen_eip, seen_cs;

static void on_trap(struct trap_frame *f) {
  hits++;
  seen_vector = f->vector;
  seen_error = f->error_code;
  seen_eip = f->eip;
  seen_cs = f->cs;
  if (!current || hits > 1) {
    /* An exception we did not provoke, or the resume address faulted again: stop here. */
    printf("unexpected trap: vector %u error %08x eip %08x\n", f->vector, f->error_code, f->eip);
    exit(EXIT_CHECK_FAILED);
  }
  f->eip = (uint32_t)(uintptr_t)current->next;
  f->eax = HANDLER_EAX;
}

static int run_case(const struct trap_case *c) {
  current = c;
  hits = 0;
  uint32_t eax = c->provoke();
  current = 0;

  int32_t offset = (int32_t)(seen_eip - (uint32_t)(uintptr_t)c->insn);
  int ok = hits == 1 && seen_vector == c->vector && offset == (int32_t)c->eip_offset &&
           seen_cs == GDT_CODE_SELECTOR && eax == HANDLER_EAX &&
           (!trap_has_error_code(c->vector) || seen_error == c->error_code);

  printf("%-30s vector %2u", c->name, seen_vector);
  if (trap_has_error_code(seen_vector)) printf(", error %04x", seen_error);
  printf(", eip insn%+d, resumed%s: %s\n", offset, eax == HANDLER_EAX ? " with handler's EAX" : "",
         ok ? "ok" : "MISMATCH");
  return ok;
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  (void)mbi;
  const unsigned vectors[] = {VEC_DE, VEC_UD, VEC_BP, VEC_GP};
  for (unsigned i = 0; i < sizeof vectors / sizeof vectors[0]; i++) trap_install(vectors[i], on_trap);

  printf("exceptions: %u cases\n", (unsigned)CASE_COUNT);
  unsigned passed = 0;
  for (unsigned i = 0; i < CASE_COUNT; i++) passed += run_case(&cases[i]);
  printf("exceptions: %u of %u as expected\n", passed, (unsigned)CASE_COUNT);
  return passed == CASE_COUNT ? EXIT_OK : EXIT_CHECK_FAILED;
}
