/*
 * Multiboot v1 header and _start. The loader enters in 32-bit protected mode with paging and
 * interrupts off, EAX = 0x2BADB002 and EBX = the multiboot info address.
 */
#include "multiboot.h"

#define BOOT_STACK_SIZE 16384

        .section .note.GNU-stack, "", @progbits

        /* The linker script places this section first, well inside the file's first 8 KiB. */
        .section .multiboot, "a"
        .balign 4
        .long MULTIBOOT_HEADER_MAGIC
        .long MULTIBOOT_HEADER_FLAGS
        .long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

        .bss
        .balign 16
boot_stack_bottom:
        .skip BOOT_STACK_SIZE
boot_stack_top:

        .text
        .globl _start
        .type _start, @function
_start:
        cli
        cld                     /* C code assumes DF = 0 */
        movl $boot_stack_top, %esp
        movl %eax, %esi         /* keep the magic; EBX (info pointer) is left alone */

        /* Zero .bss ourselves rather than trust the loader to have done it. */
        movl $__bss_start, %edi
        movl $__bss_end, %ecx
        xorl %eax, %eax
1:      cmpl %ecx, %edi
        jae 2f
        movl %eax, (%edi)
        addl $4, %edi
        jmp 1b
2:
        call runtime_init       /* ESI and EBX are callee-saved */

        subl $8, %esp           /* keep ESP 16-byte aligned at the call */
        pushl %ebx
        pushl %esi
        call kmain
        addl $16, %esp

        pushl %eax
        call exit               /* does not return */
        .size _start, . - _start
