/**
 * The numbers of the saved-state manager (vbox-facts.md §7.4, §8): magics, sizes, record types, pass numbers,
 * the SSMSTATE and SSMAFTER names. Every other SSM file takes its constants from here so the format has one
 * definition.
 */

/** SSM_PASS_FINAL: the pass number of the final (non-live) pass. */
export const SSM_PASS_FINAL = 0xffffffff;
/** SSM_MAX_PASSES: the live exec/vote loop gives up after this many passes (VERR_SSM_TOO_MANY_PASSES). */
export const SSM_MAX_PASSES = 1_048_576;
/** SSM_MAX_NAME_SIZE: a unit name including its NUL, so names are at most 47 characters. */
export const SSM_MAX_NAME_SIZE = 48;
/** SSM_ZIP_BLOCK_SIZE: big writes are cut into 4 KiB blocks, each zero, LZF or raw. */
export const SSM_ZIP_BLOCK_SIZE = 4096;
/** The unit data buffer (abDataBuffer): small puts collect here and leave as one RAW record. */
export const SSM_DATA_BUFFER_SIZE = 4096;

/** Magic strings (§8.1); each is written as exactly the bytes shown, NULs included. */
export const SSMFILEHDR_MAGIC_BASE = '\x7fVirtualBox SavedState ';
export const SSMFILEHDR_MAGIC_V1_1 = '\x7fVirtualBox SavedState V1.1\n';
export const SSMFILEHDR_MAGIC_V1_2 = '\x7fVirtualBox SavedState V1.2\n\0\0\0';
export const SSMFILEHDR_MAGIC_V2_0 = '\x7fVirtualBox SavedState V2.0\n\0\0\0';
export const SSMFILEUNITHDR_MAGIC = '\nUnit\n\0';
export const SSMFILEUNITHDR_END = '\nTheEnd';
export const SSMFILEDIR_MAGIC = '\nDir\n\0\0';
export const SSMFILEFTR_MAGIC = '\nFooter';

/** Structure sizes (§8.2–§8.6). */
export const SSMFILEHDR_SIZE = 64;
export const SSMFILEHDRV12_SIZE = 80;
export const SSMFILEHDRV11_SIZE = 64;
/** The unit header without its name (szName starts at 44). */
export const SSMFILEUNITHDRV2_SIZE = 44;
export const SSMRECTERM_SIZE = 16;
export const SSMFILEDIR_HDR_SIZE = 16;
export const SSMFILEDIRENTRY_SIZE = 16;
export const SSMFILEFTR_SIZE = 32;

/** SSMFILEHDR.fFlags. */
export const SSMFILEHDR_FLAGS_STREAM_CRC32 = 0x1;
export const SSMFILEHDR_FLAGS_STREAM_LIVE_SAVE = 0x2;
/** SSMFILEHDR.cbMaxDecompr as written. */
export const SSM_MAX_DECOMPR = 4096;

/** Record type byte (§8.4). */
export const SSM_REC_FLAGS_FIXED = 0x80;
export const SSM_REC_FLAGS_IMPORTANT = 0x10;
export const SSM_REC_FLAGS_MASK = 0xf0;
export const SSM_REC_TYPE_MASK = 0x0f;
export const SSM_REC_TYPE_INVALID = 0;
export const SSM_REC_TYPE_TERM = 1;
export const SSM_REC_TYPE_RAW = 2;
export const SSM_REC_TYPE_RAW_LZF = 3;
export const SSM_REC_TYPE_RAW_ZERO = 4;
export const SSM_REC_TYPE_NAMED = 5;
/** SSMRECTERM.fFlags bit 0. */
export const SSMRECTERM_FLAGS_CRC32 = 0x1;

/** Cancellation words of SSMHANDLE.fCancelled (§7.5). */
export const SSMHANDLE_OK = 0x77777777;
export const SSMHANDLE_CANCELLED = 0xdeadbeef;

/** Struct markers (§8.7), for units that frame their data the way SSMR3PutStruct does. */
export const SSMR3STRUCT_BEGIN = 0x19200102;
export const SSMR3STRUCT_END = 0x19920406;

/** SSMSTATE (§7.4), in enum order. */
export const SSM_STATES = [
  'INVALID', 'LIVE_PREP', 'LIVE_STEP1', 'LIVE_EXEC', 'LIVE_VOTE', 'LIVE_STEP2', 'SAVE_PREP', 'SAVE_EXEC',
  'SAVE_DONE', 'LOAD_PREP', 'LOAD_EXEC', 'LOAD_DONE', 'OPEN_READ', 'OPEN_WRITE', 'END',
] as const;
export type SsmState = (typeof SSM_STATES)[number];

/** SSMAFTER (§7.4), in enum order (INVALID = 0). */
export const SSM_AFTERS = ['INVALID', 'RESUME', 'DESTROY', 'CONTINUE', 'TELEPORT', 'DEBUG_IT', 'OPENED'] as const;
export type SsmAfter = (typeof SSM_AFTERS)[number];

/** The live-save size cap multipliers (§7.2): Σ cbGuess × this, but at least 1 GiB. */
export const SSM_LIVE_CAP_FILE = 10_000;
export const SSM_LIVE_CAP_STREAM = 100_000;
export const SSM_LIVE_CAP_MIN = 1024 * 1024 * 1024;

/** The version our files claim in SSMFILEHDR (a VirtualBox 7.1 build; validation wants these ranges). */
export const SSM_WRITER_VERSION = { major: 7, minor: 1, build: 0, svnRev: 164728 } as const;

/** The SSMLiveControl pseudo unit (§7.3). */
export const SSM_LIVE_CONTROL_NAME = 'SSMLiveControl';
export const SSM_LIVE_CONTROL_VERSION = 1;
