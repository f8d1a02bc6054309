/**
 * What the engine's save flow needs from the saved-state layer. The engine defines these ports and src/ssm
 * provides them (dependency inversion, docs: engine ← file format and transports): attachSavedState puts the
 * VM's port on it where the facade creates the VM, so nothing under src/vmm value-imports src/ssm.
 */
import type { SsmSaveState } from '../../../machines/ssm-live-save.js';
import type { CellEdgeSink } from '../../sched/cell-edges.js';
import type { VBoxError } from '../../status.js';
import type { Operation } from '../external.js';
import type { ReqPool } from '../requests.js';
import type { VmCore } from '../vm-core.js';
import type { SaveFlow } from './save-flow.js';
import type { Receiver } from '../../sched/receiver.js';

/** Default stream bandwidth for the downtime estimate and the virtual-time transfer model: 512 MiB/s. */
export const LIVE_SAVE_DEFAULT_BANDWIDTH = 512 * 1024 * 1024;

/** Where a saved-state stream goes (a file, memory, a teleport socket): SSM's stream sink. */
export interface SaveSink {
  /** Takes ownership of chunk; throws VBoxError on failure. */
  write(chunk: Uint8Array): void;
  /** The stream is complete: make it durable and visible. */
  commit(): void;
  /** The save failed or was cancelled: discard what was written. Never throws. */
  abort(cancelled: boolean): void;
  /** A file (live-save size cap × 10,000) rather than a remote stream (× 100,000). */
  readonly isFile: boolean;
  /** The file name for messages, if any. */
  readonly name?: string;
  /** The first error this sink threw (its message names the file), for the caller's rejection. */
  readonly failure?: VBoxError | null;
}

/** SSMR3LiveSave's / SSMR3Save's arguments as the flow passes them on EMT(0). */
export interface SaveStart {
  sink: SaveSink;
  after: 'DESTROY' | 'CONTINUE' | 'TELEPORT';
  /** false: a plain save (SSMR3Save). */
  live: boolean;
  maxDowntimeMs: number;
  bandwidthBytesPerSec: number;
  lzf?: boolean;
  /** pfnProgress: a function, or a record that reports (the save flow: nothing bound per save or copy). */
  onProgress?: Receiver<number, 'progressed'>;
  /** systemId of the handle's machine cell. */
  id: string;
  /**
   * The VM: the handle machine's edges go to its event stream (a reference the handle keeps, so a copied save
   * binds nothing). Without it, no edges.
   */
  vm?: CellEdgeSink;
}

/**
 * One save's SSM handle as the flow drives it (SsmLiveSave): the state of its machines/ssm-live-save.ts cell
 * decides the flow's next hop; the runs and the close return statuses.
 */
export interface SaveDriver {
  readonly state: SsmSaveState;
  /** uPass of the current or last live pass. */
  readonly pass: number;
  /** Stream bytes written so far. */
  readonly offStream: number;
  prepRun(): number;
  execRun(): number;
  voteRun(): number;
  step2(): number;
  save(): number;
  close(): number;
}

/** The saved-state layer of one VM as the engine sees it. */
/** VMR3LoadFromFile's options. */
export interface LoadOptions {
  onProgress?: (percent: number) => void;
}

export interface SavedStatePort {
  /** The saves and teleports in progress on this VM (vmR3SaveTeleport flows), oldest first; a flow leaves when it ends. */
  saveFlows: readonly SaveFlow[];
  /** Listen to the VM again after a restore (the VM's listener set is not in a snapshot): VmCore's revive calls it. */
  reattach(): void;
  /** SSMR3Cancel (§7.5): the pending operation's cancel, or VERR_SSM_NO_PENDING_OPERATION. */
  cancel(): number;
  /** SSMR3LiveSave / SSMR3Save (EMT(0)): a handle over the VM's unit registry; throws VBoxError. */
  startSave(options: SaveStart): SaveDriver;
  /** A sink that writes `path` crash-safe (temp file + rename); throws VBoxError. */
  openFile(path: string): SaveSink;
  /** A save's or teleport's percent done, on the VM's progress stream. */
  reportProgress(op: 'save' | 'teleport', percent: number, tNs: number): void;
  /** VMR3LoadFromFile as an operation (the loader is the saved-state layer's). */
  loadFromFileOp(pool: ReqPool, path: string, options: LoadOptions): Operation;
}

export function savedStatePortOf(vm: VmCore): SavedStatePort {
  const port = vm.ssm;
  if (!port) throw new Error(`${vm.id}: saved state not attached`);
  return port;
}
