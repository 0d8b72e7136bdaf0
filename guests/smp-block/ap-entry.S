/*
 * Where vCPU 1 starts (hvmsim's VCPUOP_up: flat protected mode, ESP as asked, EAX = its vCPU
 * id): call ap_main(id), and when it returns go offline with interrupts off (HLT with IF=0
 * takes a vCPU down).
 */
        .section .note.GNU-stack, "", @progbits

        .text
        .globl ap_entry
        .type ap_entry, @function
ap_entry:
        cli
        cld
        subl $12, %esp          /* keep ESP 16-byte aligned at the call */
        pushl %eax
        call ap_main
1:      cli
        hlt
        jmp 1b
        .size ap_entry, . - ap_entry
