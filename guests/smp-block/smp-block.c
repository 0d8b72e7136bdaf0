/*
 * smp-block: one vCPU blocked on a slow device-model port while another keeps drawing (hvmsim
 * only: it starts vCPU 1 with hvmsim's VCPUOP_up hypercall and reads hvmsim's slow port; run
 * with --vcpus 2). 640x480x32 through the LFB.
 *
 * vCPU 0 sets the mode, checks VCPUOP_up (vcpu_op 24, command 0: ECX = vCPU, EDX = entry, ESI =
 * stack; see hypervisor/hypercalls.ts): vCPU 1 starts (0), a second start of it, vCPU 0 and a
 * vCPU beyond the domain's are refused (-22, EINVAL). vCPU 1 loads the GDT and IDT and waits;
 * vCPU 0 sets the slow port's delay (delay-ms=D, default 20) and lets vCPU 1 go: it stores a
 * moving gradient into the frame buffer, pixel after pixel, counting them, until told to stop.
 * Meanwhile vCPU 0 makes reads=R (default 5) reads of the slow port, each answered D ms later
 * by the device model, which serves nothing else meanwhile; it notes vCPU 1's pixel count
 * around each. Then it stops vCPU 1, which goes offline (HLT with interrupts off).
 *
 * What vCPU 1 draws during the waits depends on timing and on the VGA mode (with --vga trap each
 * of its stores is a request queued behind the slow read), so it is printed only with report=1;
 * the run's per-vCPU counters measure it too. Exit code 0; 1 if a check fails.
 */
#include "../runtime/runtime.h"
#include "../runtime/cmdline.h"
#include "../runtime/vga-std.h"

#define WIDTH 640u
#define HEIGHT 480u
#define SLOW_PORT 0x700
#define HYPERVISOR_VCPU_OP 24u
#define VCPUOP_UP 0u
#define AP_STACK_BYTES 8192u

static volatile uint32_t ap_id, ap_started, ap_go, ap_stop, ap_done, ap_pixels;
static uint32_t lfb;
static uint8_t ap_stack[AP_STACK_BYTES] __attribute__((aligned(16)));

void ap_entry(void);
void ap_main(uint32_t id);

static inline int32_t vcpu_up(uint32_t vcpu, void (*entry)(void), void *stack) {
  int32_t ret;
  __asm__ volatile("vmcall"
                   : "=a"(ret)
                   : "a"(HYPERVISOR_VCPU_OP), "b"(VCPUOP_UP), "c"(vcpu), "d"((uint32_t)(uintptr_t)entry),
                     "S"((uint32_t)(uintptr_t)stack)
                   : "memory");
  return ret;
}

static inline void relax(void) {
  __asm__ volatile("pause" : : : "memory");
}

void ap_main(uint32_t id) {
  gdt_init();
  idt_init();
  ap_id = id;
  ap_started = 1;
  while (!ap_go) relax();
  volatile uint32_t *fb = (volatile uint32_t *)(uintptr_t)lfb;
  uint32_t n = 0;
  while (!ap_stop) {
    uint32_t at = n % (WIDTH * HEIGHT);
    fb[at] = ((at % WIDTH) + n / (WIDTH * HEIGHT) * 32) << 8 | (at / WIDTH);
    ap_pixels = ++n;
  }
  ap_done = 1;
}

int kmain(uint32_t magic, const struct multiboot_info *mbi) {
  (void)magic;
  uint32_t delay_ms = cmdline_uint(mbi, "delay-ms", 20u);
  uint32_t reads = cmdline_uint(mbi, "reads", 5u);
  uint32_t report = cmdline_uint(mbi, "report", 0u);
  struct vga_std vga;
  if (vga_std_open("smp-block", &vga)) return EXIT_CHECK_FAILED;
  if (vga_std_mode("smp-block", WIDTH, HEIGHT, 32, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED)) return EXIT_CHECK_FAILED;
  lfb = vga.lfb;

  int32_t up = vcpu_up(1, ap_entry, ap_stack + AP_STACK_BYTES);
  int32_t again = vcpu_up(1, ap_entry, ap_stack + AP_STACK_BYTES);
  int32_t self = vcpu_up(0, ap_entry, ap_stack + AP_STACK_BYTES);
  int32_t beyond = vcpu_up(32, ap_entry, ap_stack + AP_STACK_BYTES);
  printf("smp-block: VCPUOP_up vCPU 1: %d, vCPU 1 again: %d, vCPU 0: %d, vCPU 32: %d\n", up, again, self, beyond);
  if (up != 0) {
    printf("smp-block: vCPU 1 did not start (run with --vcpus 2)\n");
    return EXIT_CHECK_FAILED;
  }
  while (!ap_started) relax();
  printf("smp-block: vCPU %u running (EAX at entry), GDT and IDT loaded\n", ap_id);

  outl(SLOW_PORT, delay_ms * 1000u);
  ap_go = 1;
  uint32_t in_order = 1, during = 0, most = 0;
  for (uint32_t r = 0; r < reads; r++) {
    uint32_t before = ap_pixels;
    uint32_t answer = inl(SLOW_PORT);
    uint32_t drawn = ap_pixels - before;
    during += drawn;
    if (drawn > most) most = drawn;
    if (answer != r) in_order = 0;
  }
  ap_stop = 1;
  while (!ap_done) relax();
  printf("smp-block: %u reads of the slow port (%u ms each) answered in order: %s\n", reads, delay_ms, in_order ? "yes" : "no");
  if (report) printf("smp-block: vCPU 1 drew %u pixels during the waits (at most %u in one), %u in all\n", during, most, ap_pixels);
  printf("smp-block: vCPU 1 stopped\n");
  return in_order ? EXIT_OK : EXIT_CHECK_FAILED;
}
