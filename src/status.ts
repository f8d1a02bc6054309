/**
 * VirtualBox status codes (VINF_* >= 0 informational, VERR_* < 0 failure).
 *
 * The numbers are VirtualBox's real values. They come from
 * /work/shared/reference/vbox-facts.md (sections 6.5, 8.9, 10) and, for the rest,
 * from VirtualBox's include/iprt/err.h and include/VBox/err.h (trunk, 2024).
 * Only the numbers are taken; the messages are our own short wording.
 *
 * EM scheduling statuses use the newer err.h order (SUSPEND 1110, RESET 1111).
 * VINF_EM_RESCHEDULE_HM/RAW/PARAV (1116/1117/1119) are from the err.h revision that
 * vbox-facts.md follows; the newest trunk renamed 1116 to VINF_EM_RESCHEDULE_EXEC_ENGINE
 * and dropped 1117 and 1119.
 *
 * Aliases (two names, one value) are marked ALIAS in STATUS_TABLE; statusInfo() and
 * statusName() give the primary name, statusByName() accepts either.
 */

/* IPRT: general (include/iprt/err.h, 'Misc. Status Codes') */
export const VINF_SUCCESS = 0;
export const VERR_GENERAL_FAILURE = -1;
export const VERR_INVALID_PARAMETER = -2;
export const VERR_INVALID_MAGIC = -3;
export const VERR_INVALID_HANDLE = -4;
export const VERR_INVALID_POINTER = -6;
export const VERR_NO_MEMORY = -8;
export const VERR_VERSION_MISMATCH = -11;
export const VERR_NOT_IMPLEMENTED = -12;
export const VERR_INVALID_FLAGS = -13;
export const VERR_WRONG_ORDER = -22;
export const VERR_INVALID_FUNCTION = -36;
export const VERR_NOT_SUPPORTED = -37;
export const VERR_ACCESS_DENIED = -38;
export const VERR_INTERRUPTED = -39;
export const VINF_INTERRUPTED = 39;
export const VERR_TIMEOUT = -40;
export const VINF_TIMEOUT = 40;
export const VERR_BUFFER_OVERFLOW = -41;
export const VERR_TOO_MUCH_DATA = -42;
export const VERR_TRY_AGAIN = -52;
export const VINF_TRY_AGAIN = 52;
export const VERR_OUT_OF_RANGE = -54;
export const VERR_CANCELLED = -70;
export const VERR_NOT_FOUND = -78;
export const VERR_INVALID_STATE = -79;
export const VERR_AUTHENTICATION_FAILURE = -89;

/* IPRT: files and I/O */
export const VERR_FILE_NOT_FOUND = -102;
export const VERR_ALREADY_EXISTS = -105;
export const VERR_EOF = -110;
export const VERR_READ_ERROR = -111;
export const VERR_WRITE_ERROR = -112;
export const VERR_RESOURCE_BUSY = -138;

/* IPRT: internal processing errors */
export const VERR_INTERNAL_ERROR = -225;
export const VERR_INTERNAL_ERROR_2 = -226;
export const VERR_INTERNAL_ERROR_3 = -227;
export const VERR_INTERNAL_ERROR_4 = -228;
export const VERR_INTERNAL_ERROR_5 = -229;
export const VERR_IPE_UNEXPECTED_STATUS = -230;
export const VERR_IPE_UNEXPECTED_INFO_STATUS = -231;
export const VERR_IPE_UNEXPECTED_ERROR_STATUS = -232;
export const VERR_IPE_UNINITIALIZED_STATUS = -233;
export const VERR_IPE_NOT_REACHED_DEFAULT_CASE = -234;

/* IPRT: semaphores */
export const VERR_NOT_OWNER = -355;
export const VERR_SEM_DESTROYED = -363;
export const VERR_DEADLOCK = -365;

/* IPRT: network */
export const VERR_NET_CONNECTION_RESET_BY_PEER = -454;
export const VERR_NET_CONNECTION_REFUSED = -461;

/* VBox: misc (include/VBox/err.h) */
export const VERR_NO_VM_MEMORY = -1000;
export const VERR_INVALID_VM_HANDLE = -1016;
export const VERR_INVALID_VMCPU_HANDLE = -1017;
export const VERR_INVALID_CPU_ID = -1018;
export const VERR_TOO_MANY_CPUS = -1019;
export const VERR_INVALID_CPU_INDEX = -1022;
export const VERR_INCONSISTENT_VM_HANDLE = -1024;

/* VBox: EM scheduling statuses. The lower the number, the higher the priority.
 * Newer err.h numbering (SUSPEND 1110 < RESET 1111); see vbox-facts.md section 6.5. */
export const VINF_EM_TERMINATE = 1100;
export const VINF_EM_FIRST = 1100;  // alias of VINF_EM_TERMINATE
export const VINF_EM_DBG_HYPER_STEPPED = 1101;
export const VINF_EM_DBG_HYPER_BREAKPOINT = 1102;
export const VINF_EM_DBG_HYPER_ASSERTION = 1103;
export const VINF_EM_DBG_EVENT = 1104;
export const VINF_EM_DBG_STOP = 1105;
export const VINF_EM_DBG_STEPPED = 1106;
export const VINF_EM_DBG_BREAKPOINT = 1107;
export const VINF_EM_DBG_STEP = 1108;
export const VINF_EM_OFF = 1109;
export const VINF_EM_SUSPEND = 1110;
export const VINF_EM_RESET = 1111;
export const VINF_EM_HALT = 1112;
export const VINF_EM_RESUME = 1113;
export const VINF_EM_NO_MEMORY = 1114;
export const VINF_EM_RESCHEDULE_REM = 1115;
export const VINF_EM_RESCHEDULE_HM = 1116;
export const VINF_EM_RESCHEDULE_EXEC_ENGINE = 1116;  // alias of VINF_EM_RESCHEDULE_HM
export const VINF_EM_RESCHEDULE_RAW = 1117;
export const VINF_EM_RESCHEDULE = 1118;
export const VINF_EM_RESCHEDULE_PARAV = 1119;
export const VINF_EM_WAIT_SIPI = 1120;
export const VINF_EM_LAST = 1120;  // alias of VINF_EM_WAIT_SIPI
export const VERR_EM_NO_MEMORY = -1114;
export const VERR_EM_INTERNAL_ERROR = -1149;
export const VINF_EM_PENDING_REQUEST = 1150;
export const VINF_EM_RESUME_R3_HISTORY_EXEC = 1161;

/* VBox: SSM, saved state manager */
export const VERR_SSM_UNIT_EXISTS = -1800;
export const VERR_SSM_UNIT_NOT_FOUND = -1801;
export const VERR_SSM_UNIT_NOT_OWNER = -1802;
export const VERR_SSM_INTEGRITY = -1810;
export const VERR_SSM_INTEGRITY_MAGIC = -1811;
export const VERR_SSM_INTEGRITY_VERSION = -1812;
export const VERR_SSM_INTEGRITY_SIZE = -1813;
export const VERR_SSM_INTEGRITY_CRC = -1814;
export const VERR_SMM_INTEGRITY_MACHINE = -1815;
export const VERR_SSM_INTEGRITY_HEADER = -1816;
export const VERR_SSM_INTEGRITY_UNIT = -1817;
export const VERR_SSM_INTEGRITY_UNIT_MAGIC = -1818;
export const VERR_SSM_INTEGRITY_UNIT_NOT_FOUND = -1819;
export const VERR_SSM_INTEGRITY_VBOX_VERSION = -1820;
export const VERR_SSM_INTEGRITY_FOOTER = -1821;
export const VERR_SSM_INTEGRITY_REC_HDR = -1822;
export const VERR_SSM_INTEGRITY_REC_TERM = -1823;
export const VERR_SSM_INTEGRITY_REC_TERM_CRC = -1824;
export const VERR_SSM_INTEGRITY_DECOMPRESSION = -1825;
export const VERR_SSM_INTEGRITY_DIR = -1826;
export const VERR_SSM_INTEGRITY_DIR_MAGIC = -1827;
export const VERR_SSM_NO_LOAD_EXEC = -1830;
export const VERR_SSM_LOADED_TOO_MUCH = -1831;
export const VERR_SSM_INVALID_STATE = -1832;
export const VERR_SSM_LOADED_TOO_LITTLE = -1833;
export const VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION = -1840;
export const VERR_SSM_DATA_UNIT_FORMAT_CHANGED = -1841;
export const VERR_SSM_LOAD_CPUID_MISMATCH = -1842;
export const VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH = -1843;
export const VERR_SSM_LOAD_CONFIG_MISMATCH = -1844;
export const VERR_SSM_VIRTUAL_CLOCK_HZ = -1845;
export const VERR_SSM_IDE_ASYNC_TIMEOUT = -1846;
export const VERR_SSM_STRUCTURE_MAGIC = -1847;
export const VERR_SSM_UNEXPECTED_DATA = -1848;
export const VERR_SSM_GCPHYS_OVERFLOW = -1849;
export const VERR_SSM_GCPTR_OVERFLOW = -1850;
export const VINF_SSM_VOTE_FOR_ANOTHER_PASS = 1851;
export const VINF_SSM_VOTE_DONE_DONT_CALL_AGAIN = 1852;
export const VERR_SSM_VOTE_FOR_GIVING_UP = -1853;
export const VINF_SSM_DONT_CALL_AGAIN = 1854;
export const VERR_SSM_TOO_MANY_PASSES = -1855;
export const VERR_SSM_STATE_GREW_TOO_BIG = -1856;
export const VERR_SSM_LOW_ON_DISK_SPACE = -1857;
export const VERR_SSM_CANCELLED = -1858;
export const VERR_SSM_NO_PENDING_OPERATION = -1859;
export const VERR_SSM_ALREADY_CANCELLED = -1860;
export const VERR_SSM_LIVE_POWERED_OFF = -1861;
export const VERR_SSM_LIVE_GURU_MEDITATION = -1862;
export const VERR_SSM_LIVE_FATAL_ERROR = -1863;
export const VINF_SSM_LIVE_SUSPENDED = 1864;
export const VERR_SSM_FIELD_COMPLEX = -1864;
export const VERR_SSM_FIELD_INVALID_SIZE = -1865;
export const VERR_SSM_FIELD_OUT_OF_BOUNDS = -1866;
export const VERR_SSM_FIELD_NOT_CONSECUTIVE = -1867;
export const VERR_SSM_FIELD_INVALID_CALLBACK = -1868;
export const VERR_SSM_FIELD_INVALID_PADDING_SIZE = -1869;
export const VERR_SSM_FIELD_INVALID_VALUE = -1870;
export const VERR_SSM_STREAM_ERROR = -1871;
export const VERR_SSM_UNEXPECTED_PASS = -1872;
export const VERR_SSM_SKIP_BACKWARDS = -1873;
export const VERR_SSM_MEM_TOO_BIG = -1874;
export const VERR_SSM_BAD_REC_TYPE = -1875;
export const VERR_SSM_IPE_1 = -1876;
export const VERR_SSM_IPE_2 = -1877;
export const VERR_SSM_IPE_3 = -1878;
export const VERR_SSM_FIELD_LOAD_ONLY_TRANSFORMATION = -1879;
export const VERR_SSM_ENUM_VALUE_OUT_OF_RANGE = -1880;

/* VBox: VM */
export const VERR_VM_ATRESET_NOT_FOUND = -1900;
export const VERR_VM_REQUEST_INVALID_TYPE = -1901;
export const VERR_VM_REQUEST_STATE = -1902;
export const VERR_VM_REQUEST_INVALID_PACKAGE = -1903;
export const VERR_VM_REQUEST_STATUS_STILL_PENDING = -1904;
export const VERR_VM_REQUEST_STATUS_FREED = -1905;
export const VERR_VM_THREAD_NOT_EMT = -1906;
export const VERR_VM_INVALID_VM_STATE = -1907;
export const VERR_VM_DRIVER_NOT_INSTALLED = -1908;
export const VERR_VM_DRIVER_NOT_ACCESSIBLE = -1909;
export const VERR_VM_DRIVER_LOAD_ERROR = -1910;
export const VERR_VM_DRIVER_OPEN_ERROR = -1911;
export const VERR_VM_DRIVER_VERSION_MISMATCH = -1912;
export const VERR_VM_SAVE_STATE_NOT_ALLOWED = -1913;
export const VERR_VM_THREAD_IS_EMT = -1914;
export const VERR_VM_UNEXPECTED_VM_STATE = -1915;
export const VERR_VM_UNEXPECTED_UNSTABLE_STATE = -1916;
export const VERR_VM_REQUEST_TOO_MANY_ARGS_IPE = -1917;
export const VERR_VM_FATAL_WAIT_ERROR = -1918;
export const VERR_VM_REQUEST_KILLED = -1919;

/* VBox: CFGM, configuration manager */
export const VERR_CFGM_INTEGER_TOO_BIG = -2100;
export const VERR_CFGM_CHILD_NOT_FOUND = -2101;
export const VERR_CFGM_INVALID_CHILD_PATH = -2102;
export const VERR_CFGM_VALUE_NOT_FOUND = -2103;
export const VERR_CFGM_NO_PARENT = -2104;
export const VERR_CFGM_NO_NODE = -2105;
export const VERR_CFGM_NOT_INTEGER = -2106;
export const VERR_CFGM_NOT_STRING = -2107;
export const VERR_CFGM_NOT_BYTES = -2108;
export const VERR_CFGM_NOT_ENOUGH_SPACE = -2109;
export const VERR_CFGM_NOT_PASSWORD = -2110;
export const VERR_CFGM_INVALID_NODE_PATH = -2160;
export const VERR_CFGM_NODE_EXISTS = -2161;
export const VERR_CFGM_LEAF_EXISTS = -2162;
export const VERR_CFGM_CONFIG_UNKNOWN_VALUE = -2163;
export const VERR_CFGM_CONFIG_UNKNOWN_NODE = -2164;
export const VERR_CFGM_IPE_1 = -2165;

/* VBox: GVM */
export const VERR_GVM_TOO_MANY_VMS = -3900;
export const VINF_GVM_NOT_BLOCKED = 3901;
export const VINF_GVM_NOT_BUSY_IN_GC = 3902;
export const VINF_GVM_YIELDED = 3903;

/* VBox: VT-x and AMD-V availability */
export const VERR_VMX_NO_VMX = -4009;
export const VERR_VMX_IN_VMX_ROOT_MODE = -4011;
export const VERR_VMX_MSR_ALL_VMX_DISABLED = -4028;
export const VERR_VMX_MSR_VMX_DISABLED = -4029;
export const VERR_SVM_NO_SVM = -4052;
export const VERR_SVM_DISABLED = -4053;
export const VERR_SVM_IN_USE = -4054;

/* VBox: GVMM, ring-0 global VM manager */
export const VERR_GVMM_INSTANCE = -5200;
export const VERR_GVMM_HOST_CPU_RANGE = -5201;
export const VERR_GVMM_BROKEN_IPRT = -5202;
export const VERR_GVMM_IPE_1 = -5203;
export const VERR_GVMM_IPE_2 = -5204;
export const VERR_GVMM_NOT_ALL_EMTS_DEREGISTERED = -5205;

export interface StatusInfo {
  readonly rc: number;
  readonly name: string;
  readonly message: string;
}

/** Marks a row that shares its value with a primary (non-alias) row. */
const ALIAS = 'alias';

/** One row: [name, rc, message] or [name, rc, message, ALIAS]. */
export type StatusRow = readonly [name: string, rc: number, message: string, alias?: typeof ALIAS];

/** Every known status code, primary names and aliases. */
export const STATUS_TABLE: readonly StatusRow[] = [
  // IPRT: general (include/iprt/err.h, 'Misc. Status Codes')
  ['VINF_SUCCESS', VINF_SUCCESS, 'Success.'],
  ['VERR_GENERAL_FAILURE', VERR_GENERAL_FAILURE, 'General failure.'],
  ['VERR_INVALID_PARAMETER', VERR_INVALID_PARAMETER, 'Invalid parameter.'],
  ['VERR_INVALID_MAGIC', VERR_INVALID_MAGIC, 'Invalid magic or cookie.'],
  ['VERR_INVALID_HANDLE', VERR_INVALID_HANDLE, 'Invalid handle.'],
  ['VERR_INVALID_POINTER', VERR_INVALID_POINTER, 'Invalid pointer.'],
  ['VERR_NO_MEMORY', VERR_NO_MEMORY, 'Out of memory.'],
  ['VERR_VERSION_MISMATCH', VERR_VERSION_MISMATCH, 'Version mismatch.'],
  ['VERR_NOT_IMPLEMENTED', VERR_NOT_IMPLEMENTED, 'Not implemented.'],
  ['VERR_INVALID_FLAGS', VERR_INVALID_FLAGS, 'Invalid flags.'],
  ['VERR_WRONG_ORDER', VERR_WRONG_ORDER, 'Calls made in the wrong order.'],
  ['VERR_INVALID_FUNCTION', VERR_INVALID_FUNCTION, 'Invalid function.'],
  ['VERR_NOT_SUPPORTED', VERR_NOT_SUPPORTED, 'Not supported.'],
  ['VERR_ACCESS_DENIED', VERR_ACCESS_DENIED, 'Access denied.'],
  ['VERR_INTERRUPTED', VERR_INTERRUPTED, 'The call was interrupted.'],
  ['VINF_INTERRUPTED', VINF_INTERRUPTED, 'The call was interrupted (informational).'],
  ['VERR_TIMEOUT', VERR_TIMEOUT, 'Timed out.'],
  ['VINF_TIMEOUT', VINF_TIMEOUT, 'Timed out (informational).'],
  ['VERR_BUFFER_OVERFLOW', VERR_BUFFER_OVERFLOW, 'The buffer is too small.'],
  ['VERR_TOO_MUCH_DATA', VERR_TOO_MUCH_DATA, 'Too much data.'],
  ['VERR_TRY_AGAIN', VERR_TRY_AGAIN, 'Try the operation again.'],
  ['VINF_TRY_AGAIN', VINF_TRY_AGAIN, 'Try the operation again (informational).'],
  ['VERR_OUT_OF_RANGE', VERR_OUT_OF_RANGE, 'Value out of range.'],
  ['VERR_CANCELLED', VERR_CANCELLED, 'The operation was cancelled.'],
  ['VERR_NOT_FOUND', VERR_NOT_FOUND, 'Not found.'],
  ['VERR_INVALID_STATE', VERR_INVALID_STATE, 'Invalid state.'],
  ['VERR_AUTHENTICATION_FAILURE', VERR_AUTHENTICATION_FAILURE, 'Authentication failed.'],
  // IPRT: files and I/O
  ['VERR_FILE_NOT_FOUND', VERR_FILE_NOT_FOUND, 'File not found.'],
  ['VERR_ALREADY_EXISTS', VERR_ALREADY_EXISTS, 'The object already exists.'],
  ['VERR_EOF', VERR_EOF, 'End of file reached.'],
  ['VERR_READ_ERROR', VERR_READ_ERROR, 'Read error.'],
  ['VERR_WRITE_ERROR', VERR_WRITE_ERROR, 'Write error.'],
  ['VERR_RESOURCE_BUSY', VERR_RESOURCE_BUSY, 'The resource is busy.'],
  // IPRT: internal processing errors
  ['VERR_INTERNAL_ERROR', VERR_INTERNAL_ERROR, 'Internal error.'],
  ['VERR_INTERNAL_ERROR_2', VERR_INTERNAL_ERROR_2, 'Internal error #2.'],
  ['VERR_INTERNAL_ERROR_3', VERR_INTERNAL_ERROR_3, 'Internal error #3.'],
  ['VERR_INTERNAL_ERROR_4', VERR_INTERNAL_ERROR_4, 'Internal error #4.'],
  ['VERR_INTERNAL_ERROR_5', VERR_INTERNAL_ERROR_5, 'Internal error #5.'],
  ['VERR_IPE_UNEXPECTED_STATUS', VERR_IPE_UNEXPECTED_STATUS, 'Internal error: unexpected status.'],
  ['VERR_IPE_UNEXPECTED_INFO_STATUS', VERR_IPE_UNEXPECTED_INFO_STATUS, 'Internal error: unexpected informational status.'],
  ['VERR_IPE_UNEXPECTED_ERROR_STATUS', VERR_IPE_UNEXPECTED_ERROR_STATUS, 'Internal error: unexpected error status.'],
  ['VERR_IPE_UNINITIALIZED_STATUS', VERR_IPE_UNINITIALIZED_STATUS, 'Internal error: status was never set.'],
  ['VERR_IPE_NOT_REACHED_DEFAULT_CASE', VERR_IPE_NOT_REACHED_DEFAULT_CASE, 'Internal error: reached an unreachable switch case.'],
  // IPRT: semaphores
  ['VERR_NOT_OWNER', VERR_NOT_OWNER, 'The caller is not the owner.'],
  ['VERR_SEM_DESTROYED', VERR_SEM_DESTROYED, 'The semaphore was destroyed while waiting.'],
  ['VERR_DEADLOCK', VERR_DEADLOCK, 'Deadlock detected.'],
  // IPRT: network
  ['VERR_NET_CONNECTION_RESET_BY_PEER', VERR_NET_CONNECTION_RESET_BY_PEER, 'The peer reset the connection.'],
  ['VERR_NET_CONNECTION_REFUSED', VERR_NET_CONNECTION_REFUSED, 'The connection was refused.'],
  // VBox: misc (include/VBox/err.h)
  ['VERR_NO_VM_MEMORY', VERR_NO_VM_MEMORY, 'Could not allocate VM memory.'],
  ['VERR_INVALID_VM_HANDLE', VERR_INVALID_VM_HANDLE, 'Invalid VM handle.'],
  ['VERR_INVALID_VMCPU_HANDLE', VERR_INVALID_VMCPU_HANDLE, 'Invalid virtual CPU handle.'],
  ['VERR_INVALID_CPU_ID', VERR_INVALID_CPU_ID, 'Invalid virtual CPU id.'],
  ['VERR_TOO_MANY_CPUS', VERR_TOO_MANY_CPUS, 'Too many virtual CPUs.'],
  ['VERR_INVALID_CPU_INDEX', VERR_INVALID_CPU_INDEX, 'Invalid CPU index.'],
  ['VERR_INCONSISTENT_VM_HANDLE', VERR_INCONSISTENT_VM_HANDLE, 'The VM handle is inconsistent with the global VM record.'],
  // VBox: EM scheduling statuses. The lower the number, the higher the priority.
  ['VINF_EM_TERMINATE', VINF_EM_TERMINATE, 'The VM is terminating; execution stops.'],
  ['VINF_EM_FIRST', VINF_EM_FIRST, 'First EM scheduling status.', ALIAS],
  ['VINF_EM_DBG_HYPER_STEPPED', VINF_EM_DBG_HYPER_STEPPED, 'Stepped in hypervisor code.'],
  ['VINF_EM_DBG_HYPER_BREAKPOINT', VINF_EM_DBG_HYPER_BREAKPOINT, 'Hit a breakpoint in hypervisor code.'],
  ['VINF_EM_DBG_HYPER_ASSERTION', VINF_EM_DBG_HYPER_ASSERTION, 'Hit an assertion in hypervisor code.'],
  ['VINF_EM_DBG_EVENT', VINF_EM_DBG_EVENT, 'Debug event; suspend for the debugger.'],
  ['VINF_EM_DBG_STOP', VINF_EM_DBG_STOP, 'Stop for the debugger.'],
  ['VINF_EM_DBG_STEPPED', VINF_EM_DBG_STEPPED, 'Single step done; report to the debugger.'],
  ['VINF_EM_DBG_BREAKPOINT', VINF_EM_DBG_BREAKPOINT, 'Hit a breakpoint; notify the debugger.'],
  ['VINF_EM_DBG_STEP', VINF_EM_DBG_STEP, 'Single step one instruction.'],
  ['VINF_EM_OFF', VINF_EM_OFF, 'The VM is powering off.'],
  ['VINF_EM_SUSPEND', VINF_EM_SUSPEND, 'The VM was suspended.'],
  ['VINF_EM_RESET', VINF_EM_RESET, 'The VM was reset.'],
  ['VINF_EM_HALT', VINF_EM_HALT, 'The guest halted; wait for an interrupt.'],
  ['VINF_EM_RESUME', VINF_EM_RESUME, 'The VM was resumed.'],
  ['VINF_EM_NO_MEMORY', VINF_EM_NO_MEMORY, 'Out of memory; take action.'],
  ['VINF_EM_RESCHEDULE_REM', VINF_EM_RESCHEDULE_REM, 'Reschedule to recompiled execution.'],
  ['VINF_EM_RESCHEDULE_HM', VINF_EM_RESCHEDULE_HM, 'Reschedule to hardware-assisted execution.'],
  ['VINF_EM_RESCHEDULE_EXEC_ENGINE', VINF_EM_RESCHEDULE_EXEC_ENGINE, 'Reschedule to the main execution engine.', ALIAS],
  ['VINF_EM_RESCHEDULE_RAW', VINF_EM_RESCHEDULE_RAW, 'Reschedule to raw-mode execution (removed in the newest err.h).'],
  ['VINF_EM_RESCHEDULE', VINF_EM_RESCHEDULE, 'Reschedule now.'],
  ['VINF_EM_RESCHEDULE_PARAV', VINF_EM_RESCHEDULE_PARAV, 'Paravirtualization call (removed in the newest err.h).'],
  ['VINF_EM_WAIT_SIPI', VINF_EM_WAIT_SIPI, 'Wait for a startup IPI.'],
  ['VINF_EM_LAST', VINF_EM_LAST, 'Last EM scheduling status (inclusive).', ALIAS],
  ['VERR_EM_NO_MEMORY', VERR_EM_NO_MEMORY, 'Out of memory (fatal).'],
  ['VERR_EM_INTERNAL_ERROR', VERR_EM_INTERNAL_ERROR, 'Internal EM error: unknown informational status.'],
  ['VINF_EM_PENDING_REQUEST', VINF_EM_PENDING_REQUEST, 'A VM request is pending.'],
  ['VINF_EM_RESUME_R3_HISTORY_EXEC', VINF_EM_RESUME_R3_HISTORY_EXEC, 'Resume history execution in ring-3.'],
  // VBox: SSM, saved state manager
  ['VERR_SSM_UNIT_EXISTS', VERR_SSM_UNIT_EXISTS, 'The data unit already exists.'],
  ['VERR_SSM_UNIT_NOT_FOUND', VERR_SSM_UNIT_NOT_FOUND, 'The data unit was not found.'],
  ['VERR_SSM_UNIT_NOT_OWNER', VERR_SSM_UNIT_NOT_OWNER, 'The caller does not own the data unit.'],
  ['VERR_SSM_INTEGRITY', VERR_SSM_INTEGRITY, 'Saved state integrity error.'],
  ['VERR_SSM_INTEGRITY_MAGIC', VERR_SSM_INTEGRITY_MAGIC, 'Unknown saved state magic.'],
  ['VERR_SSM_INTEGRITY_VERSION', VERR_SSM_INTEGRITY_VERSION, 'Unsupported saved state version.'],
  ['VERR_SSM_INTEGRITY_SIZE', VERR_SSM_INTEGRITY_SIZE, 'Saved state size does not match the header.'],
  ['VERR_SSM_INTEGRITY_CRC', VERR_SSM_INTEGRITY_CRC, 'Saved state CRC mismatch.'],
  ['VERR_SMM_INTEGRITY_MACHINE', VERR_SMM_INTEGRITY_MACHINE, 'The machine UUID field is not nil.'],
  ['VERR_SSM_INTEGRITY_HEADER', VERR_SSM_INTEGRITY_HEADER, 'Saved state header integrity error.'],
  ['VERR_SSM_INTEGRITY_UNIT', VERR_SSM_INTEGRITY_UNIT, 'Unit header integrity error.'],
  ['VERR_SSM_INTEGRITY_UNIT_MAGIC', VERR_SSM_INTEGRITY_UNIT_MAGIC, 'Bad unit magic.'],
  ['VERR_SSM_INTEGRITY_UNIT_NOT_FOUND', VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, 'No handler for a data unit in the saved state.'],
  ['VERR_SSM_INTEGRITY_VBOX_VERSION', VERR_SSM_INTEGRITY_VBOX_VERSION, 'Bad VirtualBox version in the header.'],
  ['VERR_SSM_INTEGRITY_FOOTER', VERR_SSM_INTEGRITY_FOOTER, 'Footer integrity error.'],
  ['VERR_SSM_INTEGRITY_REC_HDR', VERR_SSM_INTEGRITY_REC_HDR, 'Record header integrity error.'],
  ['VERR_SSM_INTEGRITY_REC_TERM', VERR_SSM_INTEGRITY_REC_TERM, 'Termination record integrity error.'],
  ['VERR_SSM_INTEGRITY_REC_TERM_CRC', VERR_SSM_INTEGRITY_REC_TERM_CRC, 'Termination record CRC mismatch.'],
  ['VERR_SSM_INTEGRITY_DECOMPRESSION', VERR_SSM_INTEGRITY_DECOMPRESSION, 'Decompression integrity error.'],
  ['VERR_SSM_INTEGRITY_DIR', VERR_SSM_INTEGRITY_DIR, 'Directory integrity error.'],
  ['VERR_SSM_INTEGRITY_DIR_MAGIC', VERR_SSM_INTEGRITY_DIR_MAGIC, 'Bad directory magic.'],
  ['VERR_SSM_NO_LOAD_EXEC', VERR_SSM_NO_LOAD_EXEC, 'The data unit has no load callback.'],
  ['VERR_SSM_LOADED_TOO_MUCH', VERR_SSM_LOADED_TOO_MUCH, 'The unit read past its end.'],
  ['VERR_SSM_INVALID_STATE', VERR_SSM_INVALID_STATE, 'Wrong SSM state for this operation.'],
  ['VERR_SSM_LOADED_TOO_LITTLE', VERR_SSM_LOADED_TOO_LITTLE, 'The unit left data unread.'],
  ['VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION', VERR_SSM_UNSUPPORTED_DATA_UNIT_VERSION, 'Unsupported data unit version.'],
  ['VERR_SSM_DATA_UNIT_FORMAT_CHANGED', VERR_SSM_DATA_UNIT_FORMAT_CHANGED, 'The data unit format changed.'],
  ['VERR_SSM_LOAD_CPUID_MISMATCH', VERR_SSM_LOAD_CPUID_MISMATCH, 'CPUID differs from the saved state.'],
  ['VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH', VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH, 'RAM size differs from the saved state.'],
  ['VERR_SSM_LOAD_CONFIG_MISMATCH', VERR_SSM_LOAD_CONFIG_MISMATCH, 'The saved state does not match the VM configuration.'],
  ['VERR_SSM_VIRTUAL_CLOCK_HZ', VERR_SSM_VIRTUAL_CLOCK_HZ, 'Virtual clock frequency differs too much.'],
  ['VERR_SSM_IDE_ASYNC_TIMEOUT', VERR_SSM_IDE_ASYNC_TIMEOUT, 'Timed out waiting for async IDE operations.'],
  ['VERR_SSM_STRUCTURE_MAGIC', VERR_SSM_STRUCTURE_MAGIC, 'A structure magic was wrong.'],
  ['VERR_SSM_UNEXPECTED_DATA', VERR_SSM_UNEXPECTED_DATA, 'Unexpected data in the saved state.'],
  ['VERR_SSM_GCPHYS_OVERFLOW', VERR_SSM_GCPHYS_OVERFLOW, 'A 64-bit guest physical address does not fit in 32 bits.'],
  ['VERR_SSM_GCPTR_OVERFLOW', VERR_SSM_GCPTR_OVERFLOW, 'A 64-bit guest pointer does not fit in 32 bits.'],
  ['VINF_SSM_VOTE_FOR_ANOTHER_PASS', VINF_SSM_VOTE_FOR_ANOTHER_PASS, 'Vote for another live pass.'],
  ['VINF_SSM_VOTE_DONE_DONT_CALL_AGAIN', VINF_SSM_VOTE_DONE_DONT_CALL_AGAIN, 'Done; do not call again until the final pass.'],
  ['VERR_SSM_VOTE_FOR_GIVING_UP', VERR_SSM_VOTE_FOR_GIVING_UP, 'Vote for giving up the live save.'],
  ['VINF_SSM_DONT_CALL_AGAIN', VINF_SSM_DONT_CALL_AGAIN, 'Do not call again until the final pass.'],
  ['VERR_SSM_TOO_MANY_PASSES', VERR_SSM_TOO_MANY_PASSES, 'Gave up: too many live passes.'],
  ['VERR_SSM_STATE_GREW_TOO_BIG', VERR_SSM_STATE_GREW_TOO_BIG, 'Gave up: the state grew too big.'],
  ['VERR_SSM_LOW_ON_DISK_SPACE', VERR_SSM_LOW_ON_DISK_SPACE, 'Gave up: low on disk space.'],
  ['VERR_SSM_CANCELLED', VERR_SSM_CANCELLED, 'The operation was cancelled.'],
  ['VERR_SSM_NO_PENDING_OPERATION', VERR_SSM_NO_PENDING_OPERATION, 'No pending operation to cancel.'],
  ['VERR_SSM_ALREADY_CANCELLED', VERR_SSM_ALREADY_CANCELLED, 'The operation was already cancelled.'],
  ['VERR_SSM_LIVE_POWERED_OFF', VERR_SSM_LIVE_POWERED_OFF, 'The VM was powered off during a live save.'],
  ['VERR_SSM_LIVE_GURU_MEDITATION', VERR_SSM_LIVE_GURU_MEDITATION, 'Live save aborted by a guru meditation.'],
  ['VERR_SSM_LIVE_FATAL_ERROR', VERR_SSM_LIVE_FATAL_ERROR, 'Live save aborted by a fatal runtime error.'],
  ['VINF_SSM_LIVE_SUSPENDED', VINF_SSM_LIVE_SUSPENDED, 'The VM was suspended during the save; do not resume.'],
  ['VERR_SSM_FIELD_COMPLEX', VERR_SSM_FIELD_COMPLEX, 'Complex field; use the extended struct API.'],
  ['VERR_SSM_FIELD_INVALID_SIZE', VERR_SSM_FIELD_INVALID_SIZE, 'Invalid field size for its transformation.'],
  ['VERR_SSM_FIELD_OUT_OF_BOUNDS', VERR_SSM_FIELD_OUT_OF_BOUNDS, 'The field lies outside the structure.'],
  ['VERR_SSM_FIELD_NOT_CONSECUTIVE', VERR_SSM_FIELD_NOT_CONSECUTIVE, 'The field does not follow the previous one.'],
  ['VERR_SSM_FIELD_INVALID_CALLBACK', VERR_SSM_FIELD_INVALID_CALLBACK, 'Invalid field callback or transformation.'],
  ['VERR_SSM_FIELD_INVALID_PADDING_SIZE', VERR_SSM_FIELD_INVALID_PADDING_SIZE, 'Invalid field padding size.'],
  ['VERR_SSM_FIELD_INVALID_VALUE', VERR_SSM_FIELD_INVALID_VALUE, 'Field value out of range.'],
  ['VERR_SSM_STREAM_ERROR', VERR_SSM_STREAM_ERROR, 'Saved state stream error.'],
  ['VERR_SSM_UNEXPECTED_PASS', VERR_SSM_UNEXPECTED_PASS, 'Callback for an unexpected pass.'],
  ['VERR_SSM_SKIP_BACKWARDS', VERR_SSM_SKIP_BACKWARDS, 'Cannot skip backwards in the stream.'],
  ['VERR_SSM_MEM_TOO_BIG', VERR_SSM_MEM_TOO_BIG, 'Memory block too big to encode.'],
  ['VERR_SSM_BAD_REC_TYPE', VERR_SSM_BAD_REC_TYPE, 'Unknown record type.'],
  ['VERR_SSM_IPE_1', VERR_SSM_IPE_1, 'Internal SSM error #1.'],
  ['VERR_SSM_IPE_2', VERR_SSM_IPE_2, 'Internal SSM error #2.'],
  ['VERR_SSM_IPE_3', VERR_SSM_IPE_3, 'Internal SSM error #3.'],
  ['VERR_SSM_FIELD_LOAD_ONLY_TRANSFORMATION', VERR_SSM_FIELD_LOAD_ONLY_TRANSFORMATION, 'Load-only field transformation used for saving.'],
  ['VERR_SSM_ENUM_VALUE_OUT_OF_RANGE', VERR_SSM_ENUM_VALUE_OUT_OF_RANGE, 'Enum value out of range.'],
  // VBox: VM
  ['VERR_VM_ATRESET_NOT_FOUND', VERR_VM_ATRESET_NOT_FOUND, 'The at-reset handler was not found.'],
  ['VERR_VM_REQUEST_INVALID_TYPE', VERR_VM_REQUEST_INVALID_TYPE, 'Invalid VM request type.'],
  ['VERR_VM_REQUEST_STATE', VERR_VM_REQUEST_STATE, 'Invalid VM request state.'],
  ['VERR_VM_REQUEST_INVALID_PACKAGE', VERR_VM_REQUEST_INVALID_PACKAGE, 'Invalid VM request packet.'],
  ['VERR_VM_REQUEST_STATUS_STILL_PENDING', VERR_VM_REQUEST_STATUS_STILL_PENDING, 'The VM request is still pending.'],
  ['VERR_VM_REQUEST_STATUS_FREED', VERR_VM_REQUEST_STATUS_FREED, 'The VM request was freed.'],
  ['VERR_VM_THREAD_NOT_EMT', VERR_VM_THREAD_NOT_EMT, 'The caller is not an EMT.'],
  ['VERR_VM_INVALID_VM_STATE', VERR_VM_INVALID_VM_STATE, 'Invalid VM state.'],
  ['VERR_VM_DRIVER_NOT_INSTALLED', VERR_VM_DRIVER_NOT_INSTALLED, 'The support driver is not installed.'],
  ['VERR_VM_DRIVER_NOT_ACCESSIBLE', VERR_VM_DRIVER_NOT_ACCESSIBLE, 'The support driver is not accessible.'],
  ['VERR_VM_DRIVER_LOAD_ERROR', VERR_VM_DRIVER_LOAD_ERROR, 'Could not load the support driver.'],
  ['VERR_VM_DRIVER_OPEN_ERROR', VERR_VM_DRIVER_OPEN_ERROR, 'Could not open the support driver.'],
  ['VERR_VM_DRIVER_VERSION_MISMATCH', VERR_VM_DRIVER_VERSION_MISMATCH, 'Support driver version mismatch.'],
  ['VERR_VM_SAVE_STATE_NOT_ALLOWED', VERR_VM_SAVE_STATE_NOT_ALLOWED, 'Saving the state is not allowed right now.'],
  ['VERR_VM_THREAD_IS_EMT', VERR_VM_THREAD_IS_EMT, 'The caller is an EMT.'],
  ['VERR_VM_UNEXPECTED_VM_STATE', VERR_VM_UNEXPECTED_VM_STATE, 'Unexpected VM state.'],
  ['VERR_VM_UNEXPECTED_UNSTABLE_STATE', VERR_VM_UNEXPECTED_UNSTABLE_STATE, 'Unexpected unstable VM state.'],
  ['VERR_VM_REQUEST_TOO_MANY_ARGS_IPE', VERR_VM_REQUEST_TOO_MANY_ARGS_IPE, 'Too many VM request arguments.'],
  ['VERR_VM_FATAL_WAIT_ERROR', VERR_VM_FATAL_WAIT_ERROR, 'Fatal EMT wait error.'],
  ['VERR_VM_REQUEST_KILLED', VERR_VM_REQUEST_KILLED, 'The VM request was killed at termination.'],
  // VBox: CFGM, configuration manager
  ['VERR_CFGM_INTEGER_TOO_BIG', VERR_CFGM_INTEGER_TOO_BIG, 'Integer too big for the requested type.'],
  ['VERR_CFGM_CHILD_NOT_FOUND', VERR_CFGM_CHILD_NOT_FOUND, 'Child node not found.'],
  ['VERR_CFGM_INVALID_CHILD_PATH', VERR_CFGM_INVALID_CHILD_PATH, 'Invalid child path.'],
  ['VERR_CFGM_VALUE_NOT_FOUND', VERR_CFGM_VALUE_NOT_FOUND, 'Value not found.'],
  ['VERR_CFGM_NO_PARENT', VERR_CFGM_NO_PARENT, 'No parent node.'],
  ['VERR_CFGM_NO_NODE', VERR_CFGM_NO_NODE, 'No node given.'],
  ['VERR_CFGM_NOT_INTEGER', VERR_CFGM_NOT_INTEGER, 'The value is not an integer.'],
  ['VERR_CFGM_NOT_STRING', VERR_CFGM_NOT_STRING, 'The value is not a string.'],
  ['VERR_CFGM_NOT_BYTES', VERR_CFGM_NOT_BYTES, 'The value is not a byte string.'],
  ['VERR_CFGM_NOT_ENOUGH_SPACE', VERR_CFGM_NOT_ENOUGH_SPACE, 'The buffer is too small for the value.'],
  ['VERR_CFGM_NOT_PASSWORD', VERR_CFGM_NOT_PASSWORD, 'The value is not a password.'],
  ['VERR_CFGM_INVALID_NODE_PATH', VERR_CFGM_INVALID_NODE_PATH, 'Invalid node path.'],
  ['VERR_CFGM_NODE_EXISTS', VERR_CFGM_NODE_EXISTS, 'The node already exists.'],
  ['VERR_CFGM_LEAF_EXISTS', VERR_CFGM_LEAF_EXISTS, 'The leaf already exists.'],
  ['VERR_CFGM_CONFIG_UNKNOWN_VALUE', VERR_CFGM_CONFIG_UNKNOWN_VALUE, 'Unknown configuration value.'],
  ['VERR_CFGM_CONFIG_UNKNOWN_NODE', VERR_CFGM_CONFIG_UNKNOWN_NODE, 'Unknown configuration node.'],
  ['VERR_CFGM_IPE_1', VERR_CFGM_IPE_1, 'Internal CFGM error #1.'],
  // VBox: GVM
  ['VERR_GVM_TOO_MANY_VMS', VERR_GVM_TOO_MANY_VMS, 'No free VM handles.'],
  ['VINF_GVM_NOT_BLOCKED', VINF_GVM_NOT_BLOCKED, 'The EMT was not blocked.'],
  ['VINF_GVM_NOT_BUSY_IN_GC', VINF_GVM_NOT_BUSY_IN_GC, 'The EMT was not running guest code.'],
  ['VINF_GVM_YIELDED', VINF_GVM_YIELDED, 'Yielded while polling.'],
  // VBox: VT-x and AMD-V availability
  ['VERR_VMX_NO_VMX', VERR_VMX_NO_VMX, 'VT-x is not available.'],
  ['VERR_VMX_IN_VMX_ROOT_MODE', VERR_VMX_IN_VMX_ROOT_MODE, 'The CPU was left in VMX root mode.'],
  ['VERR_VMX_MSR_ALL_VMX_DISABLED', VERR_VMX_MSR_ALL_VMX_DISABLED, 'VT-x is disabled by the BIOS in all modes.'],
  ['VERR_VMX_MSR_VMX_DISABLED', VERR_VMX_MSR_VMX_DISABLED, 'VT-x is disabled by the BIOS.'],
  ['VERR_SVM_NO_SVM', VERR_SVM_NO_SVM, 'AMD-V is not available.'],
  ['VERR_SVM_DISABLED', VERR_SVM_DISABLED, 'AMD-V is disabled by the BIOS.'],
  ['VERR_SVM_IN_USE', VERR_SVM_IN_USE, 'AMD-V is in use by something else.'],
  // VBox: GVMM, ring-0 global VM manager
  ['VERR_GVMM_INSTANCE', VERR_GVMM_INSTANCE, 'Could not get the GVMM instance.'],
  ['VERR_GVMM_HOST_CPU_RANGE', VERR_GVMM_HOST_CPU_RANGE, 'Host CPU range not supported.'],
  ['VERR_GVMM_BROKEN_IPRT', VERR_GVMM_BROKEN_IPRT, 'Broken IPRT behaviour.'],
  ['VERR_GVMM_IPE_1', VERR_GVMM_IPE_1, 'Internal GVMM error #1.'],
  ['VERR_GVMM_IPE_2', VERR_GVMM_IPE_2, 'Internal GVMM error #2.'],
  ['VERR_GVMM_NOT_ALL_EMTS_DEREGISTERED', VERR_GVMM_NOT_ALL_EMTS_DEREGISTERED, 'Not all EMTs have deregistered.'],
];

const byRc = new Map<number, StatusInfo>();
const byName = new Map<string, StatusInfo>();
for (const [name, rc, message, alias] of STATUS_TABLE) {
  const info: StatusInfo = Object.freeze({ rc, name, message });
  if (byName.has(name)) throw new Error(`status.ts: duplicate status name ${name}`);
  byName.set(name, info);
  if (alias === ALIAS) continue;
  if (byRc.has(rc)) throw new Error(`status.ts: two primary names for rc=${rc}`);
  byRc.set(rc, info);
}

/** The primary entry for a status code, or undefined if unknown. */
export function statusInfo(rc: number): StatusInfo | undefined {
  return byRc.get(rc);
}

/** The primary name of a status code, or `rc=<n>` when unknown. */
export function statusName(rc: number): string {
  return byRc.get(rc)?.name ?? `rc=${rc}`;
}

/** Looks a status up by name (primary or alias). */
export function statusByName(name: string): StatusInfo | undefined {
  return byName.get(name);
}

/** True for success and informational statuses (rc >= 0). */
export const RT_SUCCESS = (rc: number): boolean => rc >= 0;

/** True for failure statuses (rc < 0). */
export const RT_FAILURE = (rc: number): boolean => rc < 0;

/** True for EM scheduling statuses, VINF_EM_FIRST..VINF_EM_LAST inclusive. */
export function isEmStatus(rc: number): boolean {
  return rc >= VINF_EM_FIRST && rc <= VINF_EM_LAST;
}

/** An Error carrying a VirtualBox status code; `name` is the status name. */
export class VBoxError extends Error {
  readonly rc: number;
  override readonly name: string;

  constructor(rc: number, message?: string) {
    const info = byRc.get(rc);
    super(message ?? info?.message ?? `Unknown status code ${rc}.`);
    this.rc = rc;
    this.name = info?.name ?? `rc=${rc}`;
  }

  toJSON(): { rc: number; name: string; message: string } {
    return { rc: this.rc, name: this.name, message: this.message };
  }
}

export function isVBoxError(e: unknown): e is VBoxError {
  return e instanceof VBoxError;
}

export function vboxError(rc: number, message?: string): VBoxError {
  return new VBoxError(rc, message);
}
