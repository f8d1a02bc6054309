/**
 * What a live save tells its units beyond the SSM handle: the bandwidth the stream is expected to move
 * (units estimate the time the final pass would take from it) and the GIP clock. Kept beside the handle in a
 * WeakMap so SsmHandle stays the plain SSMHANDLE of the format layer.
 */
import type { SsmHandle } from '../handle.js';

/** Default stream bandwidth for the downtime estimate and the virtual-time transfer model: 512 MiB/s. */
export const LIVE_SAVE_DEFAULT_BANDWIDTH = 512 * 1024 * 1024;

export interface LiveSaveInfo {
  /** Bytes per second the stream moves (configured, used by votes and by the virtual-time model). */
  readonly bandwidthBytesPerSec: number;
  /** GIP time now. */
  nowNs(): number;
}

const infos = new WeakMap<SsmHandle, LiveSaveInfo>();

export function setLiveSaveInfo(handle: SsmHandle, info: LiveSaveInfo): void {
  infos.set(handle, info);
}

/** The live-save details of a handle, or undefined for plain saves and loads. */
export function liveSaveInfo(handle: SsmHandle): LiveSaveInfo | undefined {
  return infos.get(handle);
}
