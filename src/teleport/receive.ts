/**
 * The committed half of the teleport target (teleporterTrg around VMR3LoadFromStream): LOADING, then the stream
 * is loaded as its frames arrive — the header is checked from the first 64 bytes and each unit runs as soon as
 * it is complete — so a vCPU-count or RAM-size mismatch in pass 0 is NACKed at once, while the source is still in
 * its live passes (it sees the NACK between passes, teleporterTcpOpIsOk → VERR_SSM_CANCELLED). Memory stays
 * bounded: frames are only pulled off the socket while the loader wants more or little is waiting, and a unit
 * larger than the VM can justify is refused with VERR_TOO_MUCH_DATA.
 */
import {
  RT_FAILURE, VBoxError, VERR_INVALID_MAGIC, VERR_NET_CONNECTION_RESET_BY_PEER, VERR_SSM_CANCELLED, VERR_TOO_MUCH_DATA,
} from '../status.js';
import { bindCode, defineCode, defineCodes, persistable } from '../persist/registry.js';
import { ssmLoadFromStream, vmR3LoadBegin, vmR3LoadEnd } from '../ssm/live/vm-load.js';
import type { SsmLoadRun } from '../ssm/load.js';
import { PushSource } from '../ssm/sources.js';
import { reqCallOp, runOperation, startOperation } from '../vmm/external.js';
import { vmOps } from '../vmm/operations.js';
import type { ReqPool } from '../vmm/requests.js';
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

/**
 * A PushSource that tells the pump when the loader is waiting for more (and carries the unit limit). Its bytes
 * are data; the pump's waiters are the host's (transient).
 */
export class TeleportInSource extends PushSource {
  hungry = false;
  hungerWaiters: (() => void)[] = [];

  constructor(readonly maxUnitBytes: number) {
    super();
  }

  override wait(): Promise<void> {
    this.hunger();
    return super.wait();
  }

  override armWake(wake: TimerAction): void {
    this.hunger();
    super.armWake(wake);
  }

  private hunger(): void {
    this.hungry = true;
    for (const wake of this.hungerWaiters.splice(0)) wake();
  }

  override push(chunk: Uint8Array): void {
    this.hungry = false;
    super.push(chunk);
  }

  nextHunger(): Promise<void> {
    return this.hungry ? Promise.resolve() : new Promise((resolve) => this.hungerWaiters.push(resolve));
  }

  override revive(): void {
    super.revive();
    this.hungerWaiters = [];
  }
}
persistable('TeleportInSource', TeleportInSource, { transient: ['hungerWaiters'] });

const asVBoxError = (error: unknown): VBoxError => (error instanceof VBoxError ? error : new VBoxError(VERR_INVALID_MAGIC, String(error)));

/**
 * What EMT(0)'s load and the host's pump share, as a record: plain flags, the source, and the slot the load
 * sleeps on until the pump ends. The connection and the pump's resolver are the host's (transient): a restored
 * link has neither, so its pump is over — the connection dropped (revive) — and, the listener that would clean up
 * being gone too, the load's end powers the VM off and destroys it itself (`orphaned`).
 */
export class TeleportLoadLink {
  begun = false;
  loadDone = false;
  loadFailed = false;
  pumpDone = false;
  pumpError: VBoxError | null = null;
  /** The connection failed while the load still ran: its error wins. */
  connectionFirst: VBoxError | null = null;
  readonly pumpEnded = new WakeSlot();
  /** Set by a restore: nobody on the host side waits for this load (the listener stayed with the old process). */
  orphaned = false;
  /** Host attachments: the connection, the pump's start and its "the load ended" resolver. */
  channel: TeleportChannel | null;
  startPump: (() => void) | undefined = undefined;
  loaded: (() => void) | undefined = undefined;

  constructor(
    readonly source: TeleportInSource,
    readonly name: string,
    channel: TeleportChannel,
  ) {
    this.channel = channel;
  }

  /** The pump ended (the stream's end, a cancel, a drop): a failure while the load runs stops the loader. */
  pumpFinished(error: VBoxError | null): void {
    this.pumpDone = true;
    this.pumpError = error;
    if (error && !this.loadDone) {
      this.connectionFirst = error;
      this.source.close(); // stop the loader
    }
    this.pumpEnded.fire();
  }
}

const target = defineCodes('teleport.target', {
  /**
   * After a restore, the connection is gone: the pump ends as a dropped connection would end it. The restore has
   * returned by then (a microtask), so the EMT it wakes has its scheduler back, as a socket's close arrives.
   */
  connectionLost(link: TeleportLoadLink): void {
    if (!link.pumpDone) link.pumpFinished(new VBoxError(VERR_NET_CONNECTION_RESET_BY_PEER, `${WHO}: the connection did not survive a restore of the engine`));
  },
  /** Console's power-down of a failed (or orphaned) target: off, then destroyed. */
  powerDown(pool: ReqPool): void {
    startOperation(pool.vm, vmOps.powerOff(pool), bindCode(target.destroy, pool));
  },
  destroy(pool: ReqPool): void {
    if (pool.vm.vmState === 'OFF') startOperation(pool.vm, vmOps.destroy(pool), bindCode(target.ignore));
  },
  /** A power-down step's status: nobody to tell (the VM's events carry its edges and errors). */
  ignore(): void {},
});

persistable('TeleportLoadLink', TeleportLoadLink, {
  transient: ['channel', 'startPump', 'loaded'],
  revive: (link) => {
    link.channel = null;
    link.orphaned = true;
    queueMicrotask(bindCode(target.connectionLost, link));
  },
});

/**
 * On EMT(0): the load as the stream arrives, a NACK at once if it failed, then — after the pump's end or cancel
 * frame — its end (vmR3LoadEnd). A record (the load's position is SsmLoadRun's), one step per slice.
 */
export class TeleportLoadSlices implements Iterator<SliceStep, number, void> {
  readonly load: SsmLoadRun;
  /** The load's failure (null: it worked) and the text its units raised, once it ended. */
  error: unknown = null;
  raised: string | null = null;

  constructor(
    readonly vm: VmCore,
    readonly link: TeleportLoadLink,
  ) {
    this.load = ssmLoadFromStream(vm, link.source, {});
  }

  next(): IteratorResult<SliceStep, number> {
    const link = this.link;
    if (!link.loadDone) {
      try {
        const step = this.load.next();
        if (!step.done) return { done: false, value: step.value ?? undefined };
      } catch (error) {
        this.error = error;
        this.raised = this.load.handle?.errorMessage ?? null;
      }
      this.loaded();
    }
    if (!link.pumpDone) return { done: false, value: link.pumpEnded }; // after a load: the end frame; after a NACK: the source's cancel (bounded)
    const error = link.connectionFirst ?? this.error ?? link.pumpError;
    const raised = error === this.error ? this.raised : error ? asVBoxError(error).message : null;
    const rc = vmR3LoadEnd(this.vm, error, raised, link.name);
    if (link.orphaned) target.powerDown(this.vm.emts[0]!.pool); // the hand-over cannot happen without the connection
    return { done: true, value: rc };
  }

  private loaded(): void {
    const link = this.link;
    link.loadDone = true;
    link.loadFailed = this.error !== null;
    link.loaded?.();
    // NACK at once: the source is still streaming and sees it between two passes.
    const channel = link.channel;
    if (link.loadFailed && channel && !channel.failure) channel.writeLine(nackLine(asVBoxError(this.error).rc, this.raised ?? asVBoxError(this.error).message));
  }
}
persistable('TeleportLoadSlices', TeleportLoadSlices);

/** VMR3LoadFromStream's request on EMT(0): LOADING, the ACK that starts the stream, then the load in slices. */
const loadFromStream = defineCode('teleport.loadFromStream', (link: TeleportLoadLink, { vm }: EmtContext) => {
  const begin = vmR3LoadBegin(vm, 'VMR3LoadFromStream', true);
  if (RT_FAILURE(begin)) return begin;
  link.begun = true;
  if (link.channel && !link.channel.failure) {
    link.channel.writeLine('ACK');
    link.startPump?.();
  }
  return emtSlices(new TeleportLoadSlices(vm, link));
});

/**
 * LOADING, the stream loaded as it arrives, the hand-over. VMR3LoadFromStream is one EMT(0) request from "load"
 * to the end of the stream: EMT(0) sleeps on the socket's bytes, the unit callbacks run on it, and a request to
 * EMT(0) (a powerOff, a reqCallWait) waits until the load ended. Resolves with the VM SUSPENDED.
 */
export async function teleportInto(vm: VM, channel: TeleportChannel, name: string, maxUnitBytes: number): Promise<VM> {
  const source = new TeleportInSource(maxUnitBytes);
  const link = new TeleportLoadLink(source, name, channel);
  const loading = new Promise<void>((resolve) => (link.loaded = resolve));
  link.startPump = () => {
    void pump(channel, source, loading, link).then(() => null, asVBoxError).then((error) => link.pumpFinished(error));
  };
  const rc = await runOperation(vm.core, reqCallOp(vm.pool, { target: 0 }, bindCode(loadFromStream, link), []));
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

/**
 * Frames into the loader. Reads only while the loader is hungry or less than two frames wait; after a failed
 * load it discards what the source still sends until its cancel or end frame (at most one unit's worth).
 */
async function pump(channel: TeleportChannel, source: TeleportInSource, loading: Promise<unknown>, load: TeleportLoadLink): Promise<void> {
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
