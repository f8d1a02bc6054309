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
import { ssmLoadFromStream, vmR3LoadBegin, vmR3LoadEnd } from '../ssm/live/vm-load.js';
import { PushSource } from '../ssm/sources.js';
import { reqCallOp, runOperation } from '../vmm/external.js';
import type { EmtContext } from '../vmm/types.js';
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
    this.hungry = true;
    for (const wake of this.#onHunger.splice(0)) wake();
    return super.wait();
  }

  override push(chunk: Uint8Array): void {
    this.hungry = false;
    super.push(chunk);
  }

  nextHunger(): Promise<void> {
    return this.hungry ? Promise.resolve() : new Promise((resolve) => this.#onHunger.push(resolve));
  }
}

async function onEmt0(vm: VM, fn: (ctx: EmtContext) => number): Promise<number> {
  return runOperation(vm.core, reqCallOp(vm.pool, { target: 0 }, fn, []));
}

const asVBoxError = (error: unknown): VBoxError => (error instanceof VBoxError ? error : new VBoxError(VERR_INVALID_MAGIC, String(error)));

/** LOADING, the stream loaded as it arrives, the hand-over. Resolves with the VM SUSPENDED. */
export async function teleportInto(vm: VM, channel: TeleportChannel, name: string, maxUnitBytes: number): Promise<VM> {
  const begin = await onEmt0(vm, ({ vm: core }) => vmR3LoadBegin(core, 'VMR3LoadFromStream', true));
  if (RT_FAILURE(begin)) {
    const message = vm.core.lastError?.message ?? `the target VM is ${vm.state}`;
    channel.writeLine(nackLine(begin, message));
    throw new VBoxError(begin, `${WHO}: ${message}`);
  }
  channel.writeLine('ACK');
  const source = new TeleportInSource(maxUnitBytes);
  const load = { done: false, failed: false };
  const loading = ssmLoadFromStream(vm.core, source, {}).then((outcome) => {
    load.done = true;
    load.failed = outcome.error !== null;
    // NACK at once: the source is still streaming and sees it between two passes.
    if (load.failed && !channel.failure) channel.writeLine(nackLine(asVBoxError(outcome.error).rc, outcome.raised ?? asVBoxError(outcome.error).message));
    return outcome;
  });
  const pumping = pump(channel, source, loading, load).then(() => null, asVBoxError);

  const first = await Promise.race([loading.then(() => 'load' as const), pumping.then(() => 'pump' as const)]);
  const connectionFirst = first === 'pump' ? await pumping : null;
  if (connectionFirst) source.close(); // the connection failed first: stop the loader, the connection's error wins
  const outcome = await loading;
  const pumpError = await pumping; // after a load: the end frame; after a NACK: the source's cancel (bounded)
  const error = connectionFirst ?? outcome.error ?? pumpError;
  const raised = error === outcome.error ? outcome.raised : error ? asVBoxError(error).message : null;
  const rc = await onEmt0(vm, ({ vm: core }) => vmR3LoadEnd(core, error, raised, name));
  if (RT_FAILURE(rc)) {
    const message = vm.core.lastError?.message ?? 'the load failed';
    if (!channel.failure && !outcome.error) channel.writeLine(nackLine(rc, message));
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
async function pump(channel: TeleportChannel, source: TeleportInSource, loading: Promise<unknown>, load: { done: boolean; failed: boolean }): Promise<void> {
  const highWater = 2 * channel.maxFrameBytes;
  let discarded = 0;
  for (;;) {
    while (!load.done && source.buffered >= highWater && !source.hungry) await Promise.race([source.nextHunger(), loading]);
    const frame = await channel.readFrame();
    if (frame.kind === 'end') return source.end();
    if (frame.kind === 'cancel') throw new VBoxError(VERR_SSM_CANCELLED, `${WHO}: the source cancelled the teleport`);
    if (!load.done) {
      source.push(frame.bytes);
      continue;
    }
    discarded += frame.bytes.length;
    if (discarded > source.maxUnitBytes) throw channel.abort(new VBoxError(VERR_TOO_MUCH_DATA, `${WHO}: the source kept sending after the load ended`));
  }
}
