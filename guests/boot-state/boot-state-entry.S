/*
 * boot-state's own multiboot header and entry: unlike every other guest it does not use
 * runtime/boot.S, because it must record the machine exactly as the loader left it. The first
 * instructions store every register, selector and descriptor-table register with absolute
 * addresses (no stack, no segment load), and only then take a stack of their own.
 *
 * Built twice: as an ordinary ELF (load addresses from the program headers) and, with
 * AOUT_KLUDGE defined, with header flag 16 and the address fields, which a loader must use
 * instead of the ELF headers.
 */
#include "../runtime/multiboot.h"

#ifdef AOUT_KLUDGE
#define ENTRY_FLAGS (MULTIBOOT_HEADER_FLAGS | (1 << 16))
#else
#define ENTRY_FLAGS MULTIBOOT_HEADER_FLAGS
#endif

        .section .note.GNU-stack, "", @progbits

        .section .multiboot, "a"
        .balign 4
mb_header:
        .long MULTIBOOT_HEADER_MAGIC
        .long ENTRY_FLAGS
        .long -(MULTIBOOT_HEADER_MAGIC + ENTRY_FLAGS)
#ifdef AOUT_KLUDGE
        .long mb_header         /* header_addr */
        .long __image_start     /* load_addr */
        .long __load_end        /* load_end_addr: the file's bytes up to here */
        .long __bss_end         /* bss_end_addr: zeroed by the loader */
        .long _start            /* entry_addr */
#endif

        .bss
        .balign 16
stack_bottom:
        .skip 16384
stack_top:

        .text
        .globl _start
        .type _start, @function
_start:
        movl %eax, entry_regs + 0
        movl %ebx, entry_regs + 4
        movl %ecx, entry_regs + 8
        movl %edx, entry_regs + 12
        movl %esi, entry_regs + 16
        movl %edi, entry_regs + 20
        movl %ebp, entry_regs + 24
        movl %esp, entry_regs + 28
        movw %cs, entry_selectors + 0
        movw %ds, entry_selectors + 2
        movw %es, entry_selectors + 4
        movw %fs, entry_selectors + 6
        movw %gs, entry_selectors + 8
        movw %ss, entry_selectors + 10
        sldt entry_selectors + 12
        str entry_selectors + 14
        sgdt entry_gdtr
        sidt entry_idtr
        movl %cr0, %eax
        movl %eax, entry_control + 0
        movl %cr3, %eax
        movl %eax, entry_control + 4
        movl %cr4, %eax
        movl %eax, entry_control + 8
        /* EFLAGS needs a stack: the loader's ESP is only a number (its SS base may not be what
         * the BIOS used), so take ours first; MOV changes no flags. */
        movl $stack_top, %esp
        pushfl
        popl entry_control + 12
        call boot_state_main
1:      cli
        hlt
        jmp 1b
        .size _start, . - _start

        /* #BP handler for the check after the dump: count and return. */
        .globl breakpoint_stub
        .type breakpoint_stub, @function
breakpoint_stub:
        incl breakpoints_taken
        iret
        .size breakpoint_stub, . - breakpoint_stub
