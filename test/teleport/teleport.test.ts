/**
 * Teleport over TCP on 127.0.0.1, both ends in this process (VMR3Teleport + VMR3LoadFromStream, vbox-facts.md
 * §1.4, §7.1, §7.6).
 *
 * Goal: a running VM arrives in a new VM (SUSPENDED, fTeleportedAndNotFullyResumedYet, same RAM) and the source
 * ends SUSPENDED; the password is checked before any state flows; every fault — refused, wrong password, not a
 * teleporter, a stalled peer, a drop before / during / after the stream, garbled or oversized frames, a cancel,
 * a stream that does not load — gives a clear VBoxError, leaves the source where §7.1 says (RUNNING after a
 * step-1 failure, SUSPENDED after the suspend) and the target in LOAD_FAILURE and then destroyed, and leaks no
 * socket or server.
 * Method: real sockets; sources run on the real clock (a drop must be seen while the save runs); fake peers
 * built on the same channel class break the protocol at chosen points; Node's active TCP handles are counted
 * before and after each case.
 */
import { describe, expect, it } from 'vitest';
import {
  VERR_AUTHENTICATION_FAILURE, VERR_CANCELLED, VERR_INVALID_MAGIC, VERR_INVALID_PARAMETER, VERR_NET_CONNECTION_REFUSED,
  VERR_NET_CONNECTION_RESET_BY_PEER, VERR_SSM_CANCELLED, VERR_SSM_INTEGRITY_MAGIC, VERR_SSM_INTEGRITY_UNIT_NOT_FOUND,
  VERR_TIMEOUT, VERR_TOO_MUCH_DATA, VINF_SSM_LIVE_SUSPENDED, VINF_SUCCESS, type VM,
} from '../../src/index.js';
import type { Socket } from 'node:net';
import { TELEPORTER_FRAME_MAGIC, type TeleportChannel } from '../../src/teleport/channel.js';
import { acceptLoad, checkNoTcpLeaks, fakeSource, fakeTarget, listen, PASSWORD } from './net-support.js';
import { engine, MiB, newVm, probe, realEngine, watchStates } from './support.js';

checkNoTcpLeaks();

const TARGET_DONE = [
  'CREATED>LOADING', 'LOADING>SUSPENDED',
];
const TARGET_FAILED = ['CREATED>LOADING', 'LOADING>LOAD_FAILURE', 'LOAD_FAILURE>POWERING_OFF', 'POWERING_OFF>OFF', 'OFF>DESTROYING', 'DESTROYING>TERMINATED'];

async function runningSource(): Promise<VM> {
  const { vm } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true, dirtyBytesPerSec: 4 * MiB } }, realEngine());
  return vm;
}

describe('VMR3Teleport → VMR3LoadFromStream', () => {
  it.each([['the real clock', 'real'], ['the virtual clock (one engine for both ends)', 'virtual']] as const)(
    'on %s: the VM arrives SUSPENDED with its RAM; the source ends SUSPENDED and can be destroyed',
    async (_name, clock) => {
      const vmm = clock === 'real' ? realEngine() : engine();
      const { vm: source } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true, dirtyBytesPerSec: 4 * MiB } }, vmm);
      const listening = await listen(clock === 'real' ? engine() : vmm);
      const sourceStates = watchStates(source);
      const progress: number[] = [];
      const result = await source.teleport({ port: listening.port, password: PASSWORD, onProgress: (p) => progress.push(p) });
      const target = await listening.target;
      expect(result).toMatchObject({ rc: VINF_SUCCESS, live: true, suspended: true });
      expect(result.passes).toBeGreaterThanOrEqual(11);
      expect(result.bytesSent).toBeGreaterThan(result.bytes);
      expect(progress.at(-1)).toBe(100);
      expect(sourceStates.slice(0, 2)).toEqual(['RUNNING>RUNNING_LS', 'RUNNING_LS>SUSPENDING_LS']);
      expect(source.state).toBe('SUSPENDED');
      expect(source.teleportedAndNotFullyResumedYet).toBe(true);
      expect(listening.states).toEqual(TARGET_DONE);
      expect(target.teleportedAndNotFullyResumedYet).toBe(true);
      expect(target.ram.digest()).toBe(source.ram.digest());
      await target.resume();
      expect(target.state).toBe('RUNNING');
      expect(target.teleportedAndNotFullyResumedYet).toBe(false);
      await source.powerOff();
      await source.destroy();
      await target.powerOff();
      await target.destroy();
    },
  );

  it('from SUSPENDED: the live path in SAVING, VINF_SSM_LIVE_SUSPENDED', async () => {
    const source = await runningSource();
    await source.suspend();
    const listening = await listen(engine());
    const states = watchStates(source);
    const result = await source.teleport({ port: listening.port, password: PASSWORD });
    await listening.target;
    expect(result.rc).toBe(VINF_SSM_LIVE_SUSPENDED);
    expect(states).toEqual(['SUSPENDED>SAVING', 'SAVING>SUSPENDED']);
  });

  it('a wrong password is refused before any state flows; the target keeps listening for the right one', async () => {
    const source = await runningSource();
    const listening = await listen(engine());
    const states = watchStates(source);
    await expect(source.teleport({ port: listening.port, password: 'open barley' })).rejects.toMatchObject({
      rc: VERR_AUTHENTICATION_FAILURE, message: expect.stringMatching(/: wrong password \(the TLS-PSK keys differ\)$/), // not OpenSSL's alert text
    });
    expect(states).toEqual([]);
    expect(listening.states).toEqual([]);
    await source.teleport({ port: listening.port, password: PASSWORD });
    expect((await listening.target).state).toBe('SUSPENDED');
  });

  it('bad arguments: VERR_INVALID_PARAMETER before connecting', async () => {
    const source = await runningSource();
    await expect(source.teleport({ port: 0, password: PASSWORD })).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
    await expect(source.teleport({ port: 1, password: '' })).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
    await expect(engine().listenForTeleport({ port: 70000, password: PASSWORD, cpus: 1 })).rejects.toMatchObject({ rc: VERR_INVALID_PARAMETER });
  });
});

describe('teleport source faults', () => {
  it('nobody listening: VERR_NET_CONNECTION_REFUSED', async () => {
    const peer = await fakeTarget(async () => {});
    const { port } = peer;
    await peer.close();
    await expect((await runningSource()).teleport({ port, password: PASSWORD })).rejects.toMatchObject({ rc: VERR_NET_CONNECTION_REFUSED });
  });

  it.each([
    ['not a teleporter (a foreign greeting)', async (ch: { writeLine(l: string): void }) => ch.writeLine('SSH-2.0-OpenSSH'), VERR_INVALID_MAGIC],
    ['a garbled reply to "load"', async (ch: { writeLine(l: string): void; readLine(p: string): Promise<string> }) => {
      ch.writeLine('VirtualBox-Teleporter-1.0');
      await ch.readLine('the command');
      ch.writeLine('YES!');
    }, VERR_INVALID_MAGIC],
    ['a peer that says nothing (stall)', async () => {}, VERR_TIMEOUT],
    ['a drop right after "load"', async (ch: { writeLine(l: string): void; readLine(p: string): Promise<string>; destroy(): void }) => {
      ch.writeLine('VirtualBox-Teleporter-1.0');
      await ch.readLine('the command');
      ch.destroy();
    }, VERR_NET_CONNECTION_RESET_BY_PEER],
  ] as const)('%s: %s, the VM is untouched', async (_name, script, rc) => {
    const peer = await fakeTarget(script as never);
    const source = await runningSource();
    const states = watchStates(source);
    await expect(source.teleport({ port: peer.port, password: PASSWORD, stallTimeoutMs: 200 })).rejects.toMatchObject({ rc });
    expect(states).toEqual([]);
    expect(source.state).toBe('RUNNING');
    await peer.close();
  });

  it('a drop during the live phase: the save fails in step 1, the VM is RUNNING again', async () => {
    const peer = await fakeTarget(async (ch) => {
      await acceptLoad(ch);
      await ch.readFrame();
      ch.destroy();
    });
    const source = await runningSource();
    probe(source, { vote: (_ssm, pass) => (pass < 40 ? 1851 : 0) }); // at least 40 passes: the drop shows first
    const states = watchStates(source);
    await expect(source.teleport({ port: peer.port, password: PASSWORD })).rejects.toMatchObject({ rc: VERR_NET_CONNECTION_RESET_BY_PEER });
    expect(states).toEqual(['RUNNING>RUNNING_LS', 'RUNNING_LS>RUNNING']);
    expect(source.teleportedAndNotFullyResumedYet).toBe(false);
    await peer.close();
  });

  it.each([
    ['the connection drops', (ch: { destroy(): void }) => ch.destroy(), VERR_NET_CONNECTION_RESET_BY_PEER],
    ['the target cannot load it (NACK)', (ch: { writeLine(l: string): void }) => ch.writeLine(`NACK=${VERR_SSM_INTEGRITY_UNIT_NOT_FOUND};Found no handler for unit 'x'`), VERR_SSM_INTEGRITY_UNIT_NOT_FOUND],
  ] as const)('after the final pass %s: the source stays SUSPENDED, or resumes with resumeOnFailure', async (_name, ending, rc) => {
    for (const resumeOnFailure of [false, true]) {
      const peer = await fakeTarget(async (ch) => {
        await acceptLoad(ch);
        for (let frame = await ch.readFrame(); frame.kind === 'data'; frame = await ch.readFrame());
        ending(ch as never);
      });
      const source = await runningSource();
      await expect(source.teleport({ port: peer.port, password: PASSWORD, resumeOnFailure })).rejects.toMatchObject({ rc });
      expect(source.state).toBe(resumeOnFailure ? 'RUNNING' : 'SUSPENDED');
      await peer.close();
    }
  });
});

describe('teleport target faults', () => {
  /** A fake source that got as far as "load" (the target is LOADING). */
  type Peer = { channel: TeleportChannel; socket: Socket };
  async function loadingSource(port: number): Promise<Peer> {
    const peer = await fakeSource(port);
    expect(await peer.channel.readLine('the welcome')).toBe('VirtualBox-Teleporter-1.0');
    peer.channel.writeLine('load');
    expect(await peer.channel.readLine('the load reply')).toBe('ACK');
    return peer;
  }
  const header = (magic: number, cb: number) => {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(magic, 0);
    b.writeUInt32LE(cb >>> 0, 4);
    return b;
  };

  it.each([
    ['the source drops mid-stream', (p: Peer): void => {
      p.channel.writeFrame(Buffer.alloc(100, 1));
      p.channel.destroy();
    }, VERR_NET_CONNECTION_RESET_BY_PEER],
    ['a garbled frame (bad magic)', (p: Peer): void => void p.socket.write(header(0xdeadbeef, 16)), VERR_INVALID_MAGIC],
    ['an oversized frame', (p: Peer): void => void p.socket.write(header(TELEPORTER_FRAME_MAGIC, 64 * MiB)), VERR_TOO_MUCH_DATA],
    ['a source that stalls', (): void => {}, VERR_TIMEOUT],
    ['the source cancels', (p: Peer): void => p.channel.writeCancel(), VERR_SSM_CANCELLED],
  ] as const)('%s: %s; the target goes LOAD_FAILURE and is destroyed', async (_name, act, rc) => {
    const listening = await listen(engine(), { stallTimeoutMs: 200 });
    const peer = await loadingSource(listening.port);
    act(peer as never);
    await expect(listening.target).rejects.toMatchObject({ rc });
    expect(listening.states).toEqual(TARGET_FAILED);
    peer.channel.destroy();
  });

  it('a stream that is not a saved state: NACK with the load status, LOAD_FAILURE, destroyed', async () => {
    const listening = await listen(engine());
    const peer = await loadingSource(listening.port);
    peer.channel.writeFrame(Buffer.alloc(4096, 0x41));
    peer.channel.writeEnd();
    const reply = await peer.channel.readLine('the load result');
    expect(reply).toMatch(new RegExp(`^NACK=${VERR_SSM_INTEGRITY_MAGIC};`));
    await expect(listening.target).rejects.toMatchObject({ rc: VERR_SSM_INTEGRITY_MAGIC });
    expect(listening.states).toEqual(TARGET_FAILED);
    peer.channel.destroy();
  });

  it('before "load" nothing is lost: a dropped peer, an overlong line and a bad command only cost their connection', async () => {
    const abort = new AbortController();
    const listening = await listen(engine(), { signal: abort.signal });
    const dropper = await fakeSource(listening.port);
    await dropper.channel.readLine('the welcome');
    dropper.channel.destroy();
    const talker = await fakeSource(listening.port);
    await talker.channel.readLine('the welcome');
    talker.socket.write(Buffer.alloc(4000, 0x61));
    await expect(talker.channel.readLine('anything')).rejects.toMatchObject({ rc: VERR_NET_CONNECTION_RESET_BY_PEER });
    const confused = await fakeSource(listening.port);
    await confused.channel.readLine('the welcome');
    confused.channel.writeLine('dance');
    expect(await confused.channel.readLine('nack')).toMatch(/^NACK=-2;unknown command/);
    confused.channel.destroy();
    expect(listening.states).toEqual([]);
    abort.abort();
    await expect(listening.target).rejects.toMatchObject({ rc: VERR_CANCELLED });
    expect(listening.vm().state).toBe('TERMINATED');
  });
});
