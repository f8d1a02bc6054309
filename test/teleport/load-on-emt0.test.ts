/**
 * The teleport target's load is one EMT(0) request (VMR3LoadFromStream, vbox-facts.md §1.4, §7.6: Console's
 * teleporterTrg calls VMR3LoadFromStream, which is a single VMR3ReqCallWait to EMT(0) running SSMR3Load).
 *
 * Goal: while the stream arrives, a request to EMT(0) (here reqCallWait(0)) waits until the load ended — it runs
 * with the VM out of LOADING, after LOADING>SUSPENDED — and every unit's loadExec runs on EMT(0).
 * Method: a real teleport over loopback; the target's EMT(0) `step` is wrapped to know when EMT(0) is stepping;
 * the request is queued from outside any step (setImmediate) as soon as the target enters LOADING.
 */
import { describe, expect, it } from 'vitest';
import type { VM, Vmm } from '../../src/index.js';
import { checkNoTcpLeaks, PASSWORD } from './net-support.js';
import { engine, MiB, newVm, probe, realEngine } from './support.js';

checkNoTcpLeaks();

interface Seen {
  states: string[];
  /** For each loadExec call: was EMT(0) stepping? */
  loadExecOnEmt0: boolean[];
  /** The target's state when the request was queued, and when it ran. */
  queuedIn?: string;
  ranIn?: string;
  /** States seen before the request's promise resolved. */
  statesAtResolve?: string[];
}

function watchTarget(created: VM, seen: Seen, requests: Promise<unknown>[], request: (vm: VM) => Promise<unknown>): void {
  const emt0 = created.core.emts[0]!;
  const step = emt0.step.bind(emt0);
  let stepping = false;
  emt0.step = () => {
    stepping = true;
    try {
      step();
    } finally {
      stepping = false;
    }
  };
  created.registerUnit({
    name: 'probe', version: 1,
    loadExec: (ssm) => {
      seen.loadExecOnEmt0.push(stepping);
      ssm.getU32();
    },
  });
  created.events$.subscribe((e) => {
    if (e.kind !== 'state') return;
    seen.states.push(`${e.from}>${e.to}`);
    if (e.to !== 'LOADING') return;
    setImmediate(() => {
      seen.queuedIn = created.state;
      requests.push(request(created).then(() => (seen.statesAtResolve = [...seen.states])));
    });
  });
}

async function teleportWith(targetEngine: () => Vmm, seen: Seen, request: (vm: VM) => Promise<unknown>): Promise<{ source: VM; target: VM }> {
  const { vm: source } = await newVm({ ram: { sizeBytes: 256 * 1024, prefill: true, dirtyBytesPerSec: 4 * MiB } }, realEngine());
  probe(source);
  const requests: Promise<unknown>[] = [];
  let bound!: (port: number) => void;
  const port = new Promise<number>((resolve) => (bound = resolve));
  const arriving = targetEngine().listenForTeleport({
    port: 0, password: PASSWORD, cpus: 2, config: { NumCPUs: 2 }, ram: { sizeBytes: 256 * 1024 },
    onVm: (created) => watchTarget(created, seen, requests, request),
    onListening: (address) => bound(address.port),
  });
  await source.teleport({ port: await port, password: PASSWORD });
  const target = await arriving;
  await Promise.all(requests);
  return { source, target };
}

describe('VMR3LoadFromStream is one EMT(0) request', () => {
  it.each([['the real clock', realEngine], ['the virtual clock', engine]] as const)(
    'on %s: reqCallWait(0) during the load waits for its end; loadExec runs on EMT(0)',
    async (_name, targetEngine: () => Vmm) => {
      const seen: Seen = { states: [], loadExecOnEmt0: [] };
      const { source, target } = await teleportWith(targetEngine, seen, (vm) => vm.reqCallWait(0, () => void (seen.ranIn = vm.state)));
      expect(seen.queuedIn).toBe('LOADING'); // the request was made during the load ...
      expect(seen.ranIn).toBe('SUSPENDED'); // ... and ran only after it (VirtualBox: EMT(0) is in VMR3LoadFromStream)
      expect(seen.statesAtResolve).toEqual(['CREATED>LOADING', 'LOADING>SUSPENDED']);
      expect(seen.loadExecOnEmt0.length).toBeGreaterThan(0);
      expect(seen.loadExecOnEmt0.every(Boolean)).toBe(true);
      await source.powerOff();
      await source.destroy();
      await target.powerOff();
      await target.destroy();
    },
  );

  it('powerOff() during the load waits for EMT(0), then powers the loaded VM off', async () => {
    const seen: Seen = { states: [], loadExecOnEmt0: [] };
    const { source, target } = await teleportWith(engine, seen, (vm) => vm.powerOff());
    expect(seen.queuedIn).toBe('LOADING');
    expect(seen.statesAtResolve).toEqual(['CREATED>LOADING', 'LOADING>SUSPENDED', 'SUSPENDED>POWERING_OFF', 'POWERING_OFF>OFF']);
    expect(target.state).toBe('OFF');
    await source.powerOff();
    await source.destroy();
    await target.destroy();
  });
});
