/*
 * One function per exception case. Each loads known values, executes the faulting instruction
 * at a global label <case>_insn and returns from <case>_next, where the handler resumes it.
 * Every function returns EAX, so the C side can see a value the handler wrote into the frame.
 */
        .section .note.GNU-stack, "", @progbits
        .text

.macro CASE name
        .globl provoke_\name, \name\()_insn, \name\()_next
        .type provoke_\name, @function
provoke_\name:
.endm

        /* #DE: unsigned division by zero. */
        CASE de_zero
        pushl %ebx
        movl $0x12345678, %eax
        xorl %edx, %edx
        xorl %ebx, %ebx
de_zero_insn:
        divl %ebx
de_zero_next:
        popl %ebx
        ret

        /* #DE: quotient overflow (0x2_00000000 / 1 does not fit 32 bits). */
        CASE de_overflow
        pushl %ebx
        movl $2, %edx
        xorl %eax, %eax
        movl $1, %ebx
de_overflow_insn:
        divl %ebx
de_overflow_next:
        popl %ebx
        ret

        /* #UD: UD2, the defined invalid opcode (0F 0B). */
        CASE ud_ud2
        movl $0x0BAD0BAD, %eax
ud_ud2_insn:
        ud2
ud_ud2_next:
        ret

        /* #BP: INT3 (CC) is a trap, so the saved EIP is past it. */
        CASE bp_int3
        movl $0x0BAD0BAD, %eax
bp_int3_insn:
        int3
bp_int3_next:
        ret

        /* #GP: selector 0x4B (index 9, RPL 3) is past the 3-entry GDT; DS keeps its old value. */
        CASE gp_load_ds
        pushl %ebx
        movl $0x4B, %ebx
        movl $0x0BAD0BAD, %eax
gp_load_ds_insn:
        movw %bx, %ds
gp_load_ds_next:
        popl %ebx
        ret

        /* #GP: far jump through selector 0x50, past the GDT. */
        CASE gp_far_jump
        movl $0x0BAD0BAD, %eax
gp_far_jump_insn:
        ljmp $0x50, $gp_far_jump_next
gp_far_jump_next:
        ret
