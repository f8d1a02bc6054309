/**
 * A teleport target snapshotted in the middle of its stream (issue 12: nothing that spans a scheduler step lives
 * in a closure; docs/snapshot.md "Saves and teleports in progress").
 *
 * Goal: `getPersistedSnapshot()` of an engine whose VM is loading a teleport stream over a real loopback socket
 * works (the load's position is data: TeleportLoadSlices → SsmLoadRun, the link with the pump, the source's
 * buffered bytes), the census of that engine is empty, the original teleport goes on undisturbed, and the
 * restored engine — which has no socket — fails the load as a dropped connection does live
 * (VERR_NET_CONNECTION_RESET_BY_PEER, ConsoleImplTeleporter's teleporterTcpRead on a closed socket) and leaves the
 * VM where a failed target ends (LOAD_FAILURE, then powered off and destroyed, as Main's teleporterTrg failure
 * path does), with no TCP handle left behind.
 * Method: a fake source (same channel class, TLS-PSK) sends the first part of a real teleport stream
 * (VMR3Teleport of a running 2-vCPU VM, the checker's image) and stops; once EMT(0) sleeps on the missing bytes
 * the target engine is snapshotted, the snapshot goes through JSON and is restored; both clocks.
 */
import { describe, expect, it } from 'vitest';
import { demoGuest } from '../../src/guest/demo-guest.js';
import { scenarioImage, WORLD_RAM_BYTES } from '../../src/check/images.js';
import { census } from '../../src/persist/walk.js';
import { createVMM, isVBoxError, VERR_NET_CONNECTION_RESET_BY_PEER, VERR_SSM_INTEGRITY_MAGIC, type VM, type Vmm } from '../../src/index.js';
import type { WorkSliceFrame } from '../../src/vmm/emt-frames.js';
import { checkNoTcpLeaks, fakeSource, listen } from './net-support.js';
import { engine, realEngine } from './support.js';

checkNoTcpLeaks();

/** Live: what a target goes through when its source drops mid-stream (teleport.test.ts, TARGET_FAILED). */
const TARGET_FAILED = ['CREATED>LOADING', 'LOADING>LOAD_FAILURE', 'LOAD_FAILURE>POWERING_OFF', 'POWERING_OFF>OFF', 'OFF>DESTROYING', 'DESTROYING>TERMINATED'];
const FRAME = 2048;

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** EMT(0)'s slice frame while the load runs, if it sleeps on the stream now. */
function sleepingLoad(vm: VM): WorkSliceFrame | undefined {
  const top = vm.core.emts[0]!.frames.at(-1) as WorkSliceFrame | undefined;
  return top?.kind === 'workSlices' && !top.turn ? top : undefined;
}

/** Wait (event-loop turns) until every byte sent (`sent`: lines and frames) has been read and EMT(0) sleeps on the rest. */
async function untilMidStream(vm: VM, sent: number): Promise<void> {
  let calm = 0;
  for (let i = 0; i < 5000 && calm < 5; i++) {
    await turn();
    const frame = sleepingLoad(vm);
    const link = (frame?.slices as { link?: { channel?: { bytesIn: number; unread: number } } } | undefined)?.link;
    calm = frame && link?.channel && link.channel.bytesIn === sent && link.channel.unread === 0 ? calm + 1 : 0;
  }
  expect(sleepingLoad(vm), 'EMT(0) sleeps in the middle of the stream').toBeDefined();
}

/** Until `vm` is TERMINATED (its snapshot stream completes). */
const terminated = (vm: VM) => new Promise<void>((resolve, reject) => vm.subscribe({ error: reject, complete: resolve }));

/** Restore `vmm`'s snapshot (through JSON), run its one VM to its end: its state changes and the restored calls' statuses. */
async function restoreAndRun(vmm: Vmm): Promise<{ states: string[]; calls: number[]; vmsLeft: number }> {
  const snapshot = JSON.parse(JSON.stringify(vmm.getPersistedSnapshot())) as ReturnType<Vmm['getPersistedSnapshot']>;
  const restored = createVMM({ snapshot, hooks: demoGuest() });
  try {
    const copy = [...restored.vms.values()][0]!;
    const states: string[] = [];
    copy.events$.subscribe((e) => {
      if (e.kind === 'state') states.push(`${e.from}>${e.to}`);
    });
    await terminated(copy);
    const calls = restored.restoredCalls.map((call) => (typeof call.result === 'number' ? call.result : isVBoxError(call.result) ? call.result.rc : NaN));
    return { states, calls, vmsLeft: restored.vms.size };
  } finally {
    restored.dispose();
  }
}

describe('a teleport target in the middle of its stream', () => {
  it.each([['the virtual clock', engine], ['the real clock', realEngine]] as const)(
    'on %s: snapshots; the original goes on; the restored one fails as a dropped connection and is destroyed',
    async (_clock, targetEngine: () => Vmm) => {
      const image = scenarioImage(2, 'teleport');
      const vmm = targetEngine();
      const listening = await listen(vmm, { ram: { sizeBytes: WORLD_RAM_BYTES } });
      const peer = await fakeSource(listening.port);
      expect(await peer.channel.readLine('the welcome')).toBe('VirtualBox-Teleporter-1.0');
      const command = 'load cpus=2';
      peer.channel.writeLine(command);
      expect(await peer.channel.readLine('the load reply')).toBe('ACK');
      const cut = Math.floor(image.length / 2) + 17; // inside a unit: the loader waits for the rest of it
      let frames = 0;
      for (let at = 0; at < cut; at += FRAME, frames++) peer.channel.writeFrame(image.subarray(at, Math.min(at + FRAME, cut)));
      const target = listening.vm();
      await untilMidStream(target, command.length + 1 + frames * 8 + cut); // the line, the 8-byte frame headers, the payload
      expect(target.state).toBe('LOADING');

      // Nothing of the load is a closure or an unregistered object: the snapshot is data.
      const { closures, classes } = census(vmm);
      expect(closures).toEqual([]);
      expect([...classes.keys()]).toEqual([]);

      // The restored engine: no socket. The load fails as a drop does, and the VM ends as a failed target.
      expect(await restoreAndRun(vmm)).toEqual({ states: TARGET_FAILED.slice(1), calls: [VERR_NET_CONNECTION_RESET_BY_PEER], vmsLeft: 0 });

      // The original never noticed: the rest of the stream arrives and the VM is handed over.
      for (let at = cut; at < image.length; at += FRAME) peer.channel.writeFrame(image.subarray(at, Math.min(at + FRAME, image.length)));
      peer.channel.writeEnd();
      expect(await peer.channel.readLine('the load result')).toBe('ACK');
      peer.channel.writeLine('done');
      expect(await peer.channel.readLine('the hand-over')).toBe('ACK');
      const arrived = await listening.target;
      expect(listening.states).toEqual(['CREATED>LOADING', 'LOADING>SUSPENDED']);
      peer.channel.destroy();
      await arrived.powerOff();
      await arrived.destroy();
    },
  );

  it('after a NACK, waiting for the source to stop: the restored target fails with the load\'s own status', async () => {
    const vmm = engine();
    const listening = await listen(vmm);
    const peer = await fakeSource(listening.port);
    expect(await peer.channel.readLine('the welcome')).toBe('VirtualBox-Teleporter-1.0');
    peer.channel.writeLine('load cpus=2');
    expect(await peer.channel.readLine('the load reply')).toBe('ACK');
    peer.channel.writeFrame(Buffer.alloc(4096, 0x41)); // not a saved state: the load fails on the header
    expect(await peer.channel.readLine('the NACK')).toMatch(new RegExp(`^NACK=${VERR_SSM_INTEGRITY_MAGIC};`));
    expect(sleepingLoad(listening.vm())).toBeDefined(); // EMT(0) waits for the source's cancel or end frame

    expect(await restoreAndRun(vmm)).toEqual({ states: TARGET_FAILED.slice(1), calls: [VERR_SSM_INTEGRITY_MAGIC], vmsLeft: 0 });

    peer.channel.writeCancel();
    await expect(listening.target).rejects.toMatchObject({ rc: VERR_SSM_INTEGRITY_MAGIC });
    expect(listening.states).toEqual(TARGET_FAILED);
    peer.channel.destroy();
  });
});
