/**
 * A teleport into a target that does not match (issue 16 item 4, issue 15 item 7).
 *
 * Goal, from VirtualBox's ConsoleImplTeleporter.cpp and SSM.cpp: the target (teleporterTrg) runs
 * VMR3LoadFromStream from "load" on, so a RAM-size mismatch fails in pass 0 of the live stream and is NACKed at
 * once; the source (teleporterSrc) sees the NACK between live passes (teleporterTcpOpIsOk → VERR_SSM_CANCELLED
 * from SSMR3LiveSave's step 1), vmR3LiveDoStep1Cleanup takes it RUNNING_LS → RUNNING without a suspend, and
 * teleporterSrc reports the target's answer. After a suspend, a failure makes Main resume the source with
 * VMRESUMEREASON_TELEPORT_FAILED. Our own handshake carries the vCPU count ("load cpus=N"), so that mismatch is
 * refused before any state streams: the source never leaves RUNNING and the target keeps listening.
 * Method: real sockets on loopback; the source's probe unit votes "not done" for many passes so the live phase
 * lasts; state changes are recorded on both ends.
 */
import { describe, expect, it } from 'vitest';
import {
  VERR_CANCELLED, VERR_SSM_INTEGRITY_UNIT_NOT_FOUND, VERR_SSM_LOAD_CONFIG_MISMATCH, VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH,
} from '../../src/index.js';
import { RESUME_REASONS } from '../../src/vmm/lifecycle.js';
import type { TeleportRefusal } from '../../src/teleport/admission.js';
import { acceptLoad, checkNoTcpLeaks, fakeTarget, listen, PASSWORD } from './net-support.js';
import { engine, MiB, newVm, probe, realEngine, watchStates } from './support.js';

checkNoTcpLeaks();

const TARGET_FAILED = ['CREATED>LOADING', 'LOADING>LOAD_FAILURE', 'LOAD_FAILURE>POWERING_OFF', 'POWERING_OFF>OFF', 'OFF>DESTROYING', 'DESTROYING>TERMINATED'];

describe('a target that does not match the source', () => {
  it('RAM size: the target fails in pass 0 and NACKs at once; the source goes RUNNING_LS → RUNNING, never suspended', async () => {
    const { vm: source } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true, dirtyBytesPerSec: 4 * MiB } }, realEngine());
    const calls = probe(source, { vote: () => 1851 }); // never done on its own: only the NACK can end step 1
    const listening = await listen(engine(), { ram: { sizeBytes: 512 * 1024 } });
    const states = watchStates(source);
    await expect(source.teleport({ port: listening.port, password: PASSWORD })).rejects.toMatchObject({ rc: VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH });
    await expect(listening.target).rejects.toMatchObject({ rc: VERR_SSM_LOAD_MEMORY_SIZE_MISMATCH });
    expect(states).toEqual(['RUNNING>RUNNING_LS', 'RUNNING_LS>RUNNING']);
    expect(source.state).toBe('RUNNING');
    expect(source.teleportedAndNotFullyResumedYet).toBe(false);
    expect(calls.execs.length).toBeGreaterThanOrEqual(1); // it did stream
    expect(listening.states).toEqual(TARGET_FAILED);
  });

  it('vCPU count: refused at the handshake ("load cpus=2" against 4), logged; the source never leaves RUNNING', async () => {
    const { vm: source } = await newVm({ cpus: 2, ram: { sizeBytes: 256 * 1024, prefill: true } }, realEngine());
    const refusals: TeleportRefusal[] = [];
    const abort = new AbortController();
    const listening = await listen(engine(), { cpus: 4, config: { NumCPUs: 4 }, signal: abort.signal, onRefused: (r) => refusals.push(r) });
    const states = watchStates(source);
    const bytesBefore = { sent: 0 };
    await expect(source.teleport({ port: listening.port, password: PASSWORD, onProgress: () => bytesBefore.sent++ }))
      .rejects.toMatchObject({ rc: VERR_SSM_LOAD_CONFIG_MISMATCH, message: expect.stringMatching(/2 vCPUs, this one 4/) });
    expect(states).toEqual([]);
    expect(bytesBefore.sent).toBe(0); // no save ran: no progress at all
    expect(listening.states).toEqual([]); // never LOADING
    expect(refusals).toEqual([expect.objectContaining({ rc: VERR_SSM_LOAD_CONFIG_MISMATCH, reason: expect.stringMatching(/vCPU count mismatch/) })]);
    abort.abort();
    await expect(listening.target).rejects.toMatchObject({ rc: VERR_CANCELLED });
  });

  it('after the suspend: a NACKed load resumes the source with TELEPORT_FAILED by default (Main), or leaves it SUSPENDED', async () => {
    for (const resumeOnFailure of [undefined, false]) {
      const peer = await fakeTarget(async (ch) => {
        await acceptLoad(ch);
        for (let frame = await ch.readFrame(); frame.kind === 'data'; frame = await ch.readFrame());
        ch.writeLine(`NACK=${VERR_SSM_INTEGRITY_UNIT_NOT_FOUND};Found no handler for unit 'x'`);
      });
      const { vm: source } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true } }, realEngine());
      const states = watchStates(source);
      await expect(source.teleport({ port: peer.port, password: PASSWORD, ...(resumeOnFailure === false ? { resumeOnFailure } : {}) }))
        .rejects.toMatchObject({ rc: VERR_SSM_INTEGRITY_UNIT_NOT_FOUND });
      expect(states).toContain('SUSPENDING_LS>SUSPENDED_LS');
      if (resumeOnFailure === false) expect(source.state).toBe('SUSPENDED');
      else {
        expect(source.state).toBe('RUNNING');
        expect(RESUME_REASONS[source.core.resumeReason]).toBe('TELEPORT_FAILED');
      }
      await peer.close();
    }
  });
});
