/**
 * vmm-actors/ssm: the saved-state manager's public API — the unit registry, the handle units read and write
 * through, the v2.0 stream writer and readers, SSMR3Save / SSMR3Load, and the file tools (validate, open/seek,
 * info).
 */
export * from './constants.js';
export { SsmUnitRegistry, SsmUnit, checkUnitName, type SsmUnitOptions, type SsmUnitCallbacks, type SsmStatus } from './units.js';
export { SsmHandle, type SsmHandleOptions } from './handle.js';
export { SsmProgress, type SsmProgressCallback } from './progress.js';
export { SsmStreamWriter, type SsmWriterOptions, type SsmUnitIdentity } from './stream-writer.js';
export { SsmStreamReader } from './stream-reader.js';
export { SsmUnitDataReader } from './unit-reader.js';
export { FileSink, MemorySink, CallbackSink, CountingSink, sweepStaleTempFiles, type SsmSink } from './sinks.js';
export { FileSource, MemorySource, PushSource, SsmNeedMoreData, type SsmSource } from './sources.js';
export { ssmSave, registryOf, type SsmSaveOptions, type SsmSaveResult, type SsmRegistryHolder } from './save.js';
export {
  callUnit, writeUnit, liveControlEmit, progressByUnit, saveDoPrepRun, saveDoExecRun, saveDoFinalization, saveDoDoneRun,
  saveDoCommon,
} from './save-runs.js';
export { ssmLoad, ssmLoadStream, type SsmLoadOptions, type SsmLoadResult } from './load.js';
export { SsmLoadError } from './load-exec.js';
export { validate, open, SsmOpenFile } from './open.js';
export { openAndValidate, type SsmFileInfo } from './header-validate.js';
export { info, type SsmInfo, type SsmInfoUnit } from './info.js';
export { ssmCancel } from './cancel.js';
export { lzfCompress, lzfDecompress } from './lzf.js';
export { crc32 } from './crc.js';
