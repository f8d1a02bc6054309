/** Forced-action flags the control plane uses (vm.h, vbox-facts.md §3). Bits above 31 are not modelled. */
export const VM_FF_TM_VIRTUAL_SYNC = 1 << 2;
export const VM_FF_PDM_QUEUES = 1 << 3;
export const VM_FF_PDM_DMA = 1 << 4;
export const VM_FF_DBGF = 1 << 8;
export const VM_FF_REQUEST = 1 << 9;
export const VM_FF_CHECK_VM_STATE = 1 << 10;
export const VM_FF_RESET = 1 << 11;
export const VM_FF_EMT_RENDEZVOUS = 1 << 12;

export const VMCPU_FF_INTERRUPT_APIC = 1 << 0;
export const VMCPU_FF_INTERRUPT_PIC = 1 << 1;
export const VMCPU_FF_TIMER = 1 << 2;
export const VMCPU_FF_INTERRUPT_NMI = 1 << 3;
export const VMCPU_FF_INTERRUPT_SMI = 1 << 4;
export const VMCPU_FF_UNHALT = 1 << 6;
export const VMCPU_FF_UPDATE_APIC = 1 << 8;
export const VMCPU_FF_REQUEST = 1 << 9;
export const VMCPU_FF_DBGF = 1 << 10;
export const VMCPU_FF_INTERRUPT_NESTED_GUEST = 1 << 11;

/** What wakes an idle (suspended-wait) EMT (§3.3). */
export const VM_FF_EXTERNAL_SUSPENDED_MASK = VM_FF_CHECK_VM_STATE | VM_FF_DBGF | VM_FF_REQUEST | VM_FF_EMT_RENDEZVOUS;
export const VMCPU_FF_EXTERNAL_SUSPENDED_MASK = VMCPU_FF_REQUEST | VMCPU_FF_DBGF;

/** What ends a halt (§3.3, x86). */
export const VM_FF_EXTERNAL_HALTED_MASK =
  VM_FF_CHECK_VM_STATE | VM_FF_DBGF | VM_FF_REQUEST | VM_FF_PDM_QUEUES | VM_FF_PDM_DMA | VM_FF_EMT_RENDEZVOUS;
export const VMCPU_FF_EXTERNAL_HALTED_MASK =
  VMCPU_FF_UPDATE_APIC | VMCPU_FF_INTERRUPT_APIC | VMCPU_FF_INTERRUPT_PIC | VMCPU_FF_REQUEST | VMCPU_FF_INTERRUPT_NMI |
  VMCPU_FF_INTERRUPT_SMI | VMCPU_FF_UNHALT | VMCPU_FF_TIMER | VMCPU_FF_DBGF | VMCPU_FF_INTERRUPT_NESTED_GUEST;
/** VMR3WaitHalted with VMWAITHALTED_F_IGNORE_IRQS: the halted mask without UPDATE_APIC, INTERRUPT_APIC, INTERRUPT_PIC. */
export const VMCPU_FF_HALTED_MASK_IGNORE_IRQS =
  VMCPU_FF_EXTERNAL_HALTED_MASK & ~(VMCPU_FF_UPDATE_APIC | VMCPU_FF_INTERRUPT_APIC | VMCPU_FF_INTERRUPT_PIC);

/** VMNOTIFYFF_FLAGS_* (vmapi.h). */
export const VMNOTIFYFF_FLAGS_DONE_REM = 1 << 0;
export const VMNOTIFYFF_FLAGS_POKE = 1 << 1;
