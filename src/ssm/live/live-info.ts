/**
 * What a live save tells its units beyond the SSM handle: the bandwidth the stream is expected to move
 * (units estimate the time the final pass would take from it), in SsmHandle.liveInfo (null for plain saves and
 * loads). A unit that needs GIP time reads its VM's clock.
 */

export { LIVE_SAVE_DEFAULT_BANDWIDTH } from '../../vmm/save/ports.js';

export interface LiveSaveInfo {
  /** Bytes per second the stream moves (configured, used by votes and by the virtual-time model). */
  readonly bandwidthBytesPerSec: number;
}
