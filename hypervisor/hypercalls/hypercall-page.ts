/**
 * The hypercall page (Xen's init_hypercall_page for HVM, Intel flavour): a guest writes the
 * guest-physical address of one of its pages to the MSR that CPUID leaf 0x40000002 names, and
 * the hypervisor fills it: the whole page 0xCC (INT3), then 128 entries of 32 bytes, entry n =
 * `mov $n, %eax; vmcall; ret`. Entry 23 (iret, PV only) is `ud2`. Guests call page + 32·n.
 */

export const HYPERCALL_PAGE_ENTRIES = 128;
export const HYPERCALL_ENTRY_BYTES = 32;
export const HYPERVISOR_iret = 23;

/** Fill the 4 KiB `page` (a view of guest RAM at the page's address). */
export function fillHypercallPage(page: Uint8Array): void {
  if (page.length !== 4096) throw new RangeError('the hypercall page is one 4 KiB page');
  page.fill(0xcc);
  for (let n = 0; n < HYPERCALL_PAGE_ENTRIES; n++) {
    const at = n * HYPERCALL_ENTRY_BYTES;
    if (n === HYPERVISOR_iret) {
      page[at] = 0x0f; // ud2
      page[at + 1] = 0x0b;
      continue;
    }
    page[at] = 0xb8; // mov eax, imm32
    page[at + 1] = n & 0xff;
    page[at + 2] = (n >>> 8) & 0xff;
    page[at + 3] = 0;
    page[at + 4] = 0;
    page[at + 5] = 0x0f; // vmcall
    page[at + 6] = 0x01;
    page[at + 7] = 0xc1;
    page[at + 8] = 0xc3; // ret
  }
}
