/* A flat GDT: code and data segments covering 4 GiB at ring 0. */
#ifndef GUEST_GDT_H
#define GUEST_GDT_H

#define GDT_CODE_SELECTOR 0x08
#define GDT_DATA_SELECTOR 0x10
#define GDT_ENTRIES 3 /* null, code, data: any selector >= 0x18 is beyond the limit */

#ifndef __ASSEMBLER__
void gdt_init(void);
#endif

#endif
