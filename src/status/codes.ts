/**
 * VirtualBox status codes as constants, grouped by component (include/iprt/err.h, include/VBox/err.h; the
 * numbers are VirtualBox's, see status.ts for the sources). Their names and messages are in table.ts.
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
export const VERR_IS_A_DIRECTORY = -127;
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
