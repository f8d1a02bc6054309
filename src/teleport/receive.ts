/**
 * The committed half of the teleport target (teleporterTrg around VMR3LoadFromStream): LOADING, then the stream
 * is loaded as its frames arrive — the header is checked from the first 64 bytes and each unit runs as soon as
 * it is complete — so a vCPU-count or RAM-size mismatch in pass 0 is NACKed at once, while the source is still in
 * its live passes (it sees the NACK between passes, teleporterTcpOpIsOk → VERR_SSM_CANCELLED). Memory stays
 * bounded: frames are only pulled off the socket while the loader wants more or little is waiting, and a unit
 * larger than the VM can justify is refused with VERR_TOO_MUCH_DATA.
 */
import {
  RT_FAILURE, VBoxError, VERR_INVALID_MAGIC, VERR_SSM_CANCELLED, VERR_TOO_MUCH_DATA,
} from '../status.js';
import { ssmLoadFromStreamSlices, vmR3LoadBegin, vmR3LoadEnd } from '../ssm/live/vm-load.js';
import { PushSource } from '../ssm/sources.js';
import { reqCallOp, runOperation } from '../vmm/external.js';
import { emtSlices, type EmtContext, type SliceStep } from '../vmm/types.js';
import type { VmCore } from '../vmm/vm-core.js';
import { WakeSlot, type TimerAction } from '../sched/scheduler.js';
import type { VM } from '../api/vm.js';
import type { TeleportChannel } from './channel.js';
import { nackLine } from './handshake.js';

const WHO = 'teleport target';
/** Overhead on top of guest RAM a unit may take (record headers, LZF blocks, small units). */
const UNIT_OVERHEAD_BYTES = 4 * 1024 * 1024;

/** The largest unit a VM of `ramBytes` accepts by default: its RAM, 1/16 for records and compression, 4 MiB. */
export const defaultMaxUnitBytes = (ramBytes: number): number => ramBytes + Math.ceil(ramBytes / 16) + UNIT_OVERHEAD_BYTES;

/** A PushSource that tells the pump when the loader is waiting for more (and carries the unit limit). */
class TeleportInSource extends PushSource {
  hungry = false;
  #onHunger: (() => void)[] = [];

  constructor(readonly maxUnitBytes: number) {
    super();
  }

  override wait(): Promise<void> {
    this.#hunger();
    return super.wait();
  }

  override armWake(wake: TimerAction): void {
    this.#hunger();
    super.armWake(wake);
  }

  #hunger(): void {
    this.hungry = true;
    for (const wake of this.#onHunger.splice(0)) wake();
  }

  override push(chunk: Uint8Array): void {
    this.hungry = false;
    super.push(chunk);
  }

  nextHunger(): Promise<void> {
    return this.hungry ? Promise.resolve() : new Promise((resolve) => this.#onHunger.push(resolve));
  }
}

const asVBoxError = (error: unknown): VBoxError => (error instanceof VBoxError ? error : new VBoxError(VERR_INVALID_MAGIC, String(error)));

/** What the EMT(0) load and the pump share: plain fields, and the slot the load sleeps on until the pump ends. */
interface LoadLink {
  begun: boolean;
  loadDone: boolean;
  loadFailed: boolean;
  pumpDone: boolean;
  pumpError: VBoxError | null;
  /** The connection failed while the load still ran: its error wins. */
  connectionFirst: VBoxError | null;
  pumpEnded: WakeSlot;
}

/**
 * LOADING, the stream loaded as it arrives, the hand-over. VMR3LoadFromStream is one EMT(0) request from "load"
 * to the end of the stream: EMT(0) sleeps on the socket's bytes, the unit callbacks run on it, and a request to
 * EMT(0) (a powerOff, a reqCallWait) waits until the load ended. Resolves with the VM SUSPENDED.
 */
export async function teleportInto(vm: VM, channel: TeleportChannel, name: string, maxUnitBytes: number): Promise<VM> {
  const source = new TeleportInSource(maxUnitBytes);
  const link: LoadLink = { begun: false, loadDone: false, loadFailed: false, pumpDone: false, pumpError: null, connectionFirst: null, pumpEnded: new WakeSlot() };
  let loaded!: () => void;
  const loading = new Promise<void>((resolve) => (loaded = resolve));
  const rc = await runOperation(vm.core, reqCallOp(vm.pool, { target: 0 }, ({ vm: core }: EmtContext) => {
    const begin = vmR3LoadBegin(core, 'VMR3LoadFromStream', true);
    if (RT_FAILURE(begin)) return begin;
    link.begun = true;
    channel.writeLine('ACK');
    void pump(channel, source, loading, link).then(() => null, asVBoxError).then((error) => {
      link.pumpDone = true;
      link.pumpError = error;
      if (error && !link.loadDone) {
        link.connectionFirst = error;
        source.close(); // stop the loader
      }
      link.pumpEnded.fire();
    });
    return emtSlices(loadSlices(core, channel, source, link, name, loaded));
  }, []));
  if (!link.begun) {
    const message = vm.core.lastError?.message ?? `the target VM is ${vm.state}`;
    channel.writeLine(nackLine(rc, message));
    throw new VBoxError(rc, `${WHO}: ${message}`);
  }
  if (RT_FAILURE(rc)) {
    const message = vm.core.lastError?.message ?? 'the load failed';
    if (!channel.failure && !link.loadFailed) channel.writeLine(nackLine(rc, message));
    await channel.flushed();
    throw new VBoxError(rc, `${WHO}: ${message}`);
  }
  channel.writeLine('ACK');
  const done = await channel.readLine('the hand-over');
  if (done !== 'done') throw channel.abort(new VBoxError(VERR_INVALID_MAGIC, `${WHO}: garbled hand-over`));
  channel.writeLine('ACK');
  await channel.flushed();
  channel.close();
  return vm;
}

/** On EMT(0): the load, a NACK at once if it failed, then (after the pump's end or cancel frame) its end. */
function* loadSlices(
  core: VmCore, channel: TeleportChannel, source: TeleportInSource, link: LoadLink, name: string, loaded: () => void,
): Generator<SliceStep, number, void> {
  const outcome = yield* ssmLoadFromStreamSlices(core, source, {});
  link.loadDone = true;
  link.loadFailed = outcome.error !== null;
  loaded();
  // NACK at once: the source is still streaming and sees it between two passes.
  if (link.loadFailed && !channel.failure) channel.writeLine(nackLine(asVBoxError(outcome.error).rc, outcome.raised ?? asVBoxError(outcome.error).message));
  while (!link.pumpDone) yield link.pumpEnded; // after a load: the end frame; after a NACK: the source's cancel (bounded)
  const error = link.connectionFirst ?? outcome.error ?? link.pumpError;
  const raised = error === outcome.error ? outcome.raised : error ? asVBoxError(error).message : null;
  return vmR3LoadEnd(core, error, raised, name);
}

/**
 * Frames into the loader. Reads only while the loader is hungry or less than two frames wait; after a failed
 * load it discards what the source still sends until its cancel or end frame (at most one unit's worth).
 */
async function pump(channel: TeleportChannel, source: TeleportInSource, loading: Promise<unknown>, load: LoadLink): Promise<void> {
  const highWater = 2 * channel.maxFrameBytes;
  let discarded = 0;
  for (;;) {
    while (!load.loadDone && source.buffered >= highWater && !source.hungry) await Promise.race([source.nextHunger(), loading]);
    const frame = await channel.readFrame();
    if (frame.kind === 'end') return source.end();
    if (frame.kind === 'cancel') throw new VBoxError(VERR_SSM_CANCELLED, `${WHO}: the source cancelled the teleport`);
    if (!load.loadDone) {
      source.push(frame.bytes);
      continue;
    }
    discarded += frame.bytes.length;
    if (discarded > source.maxUnitBytes) throw channel.abort(new VBoxError(VERR_TOO_MUCH_DATA, `${WHO}: the source kept sending after the load ended`));
  }
}
