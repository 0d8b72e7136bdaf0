/*
 * Exception entry stubs: each pushes a dummy error code where the CPU pushes none, then its
 * vector, so the common stub always sees the same frame (struct trap_frame in traps.h).
 */
#include "gdt.h"

        .section .note.GNU-stack, "", @progbits

        .text
.macro STUB_NOERR vec
trap_stub_\vec:
        pushl $0
        pushl $\vec
        jmp trap_common
.endm

.macro STUB_ERR vec
trap_stub_\vec:
        pushl $\vec
        jmp trap_common
.endm

        /* The CPU pushes an error code for 8, 10-14, 17, 21, 29 and 30. */
        STUB_NOERR 0
        STUB_NOERR 1
        STUB_NOERR 2
        STUB_NOERR 3
        STUB_NOERR 4
        STUB_NOERR 5
        STUB_NOERR 6
        STUB_NOERR 7
        STUB_ERR   8
        STUB_NOERR 9
        STUB_ERR   10
        STUB_ERR   11
        STUB_ERR   12
        STUB_ERR   13
        STUB_ERR   14
        STUB_NOERR 15
        STUB_NOERR 16
        STUB_ERR   17
        STUB_NOERR 18
        STUB_NOERR 19
        STUB_NOERR 20
        STUB_ERR   21
        STUB_NOERR 22
        STUB_NOERR 23
        STUB_NOERR 24
        STUB_NOERR 25
        STUB_NOERR 26
        STUB_NOERR 27
        STUB_NOERR 28
        STUB_ERR   29
        STUB_ERR   30
        STUB_NOERR 31
        .irp vec, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
        STUB_NOERR \vec
        .endr

trap_common:
        pushal
        pushl %ds
        pushl %es
        pushl %fs
        pushl %gs
        /* The trap may have come with any data segment loaded; C code needs the flat one. */
        movw $GDT_DATA_SELECTOR, %ax
        movw %ax, %ds
        movw %ax, %es
        cld
        pushl %esp              /* struct trap_frame * */
        call trap_dispatch
        addl $4, %esp
        popl %gs
        popl %fs
        popl %es
        popl %ds
        popal
        addl $8, %esp           /* vector and error code */
        iret

        .section .rodata
        .balign 4
        .globl trap_stub_table
trap_stub_table:
        .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .long trap_stub_\vec
        .endr
        .irp vec, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
        .long trap_stub_\vec
        .endr
