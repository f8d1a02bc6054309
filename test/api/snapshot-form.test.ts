/**
 * Goal: a change to what a snapshot holds raises SNAPSHOT_VERSION (src/api/snapshot.ts), so that a restore refuses
 * a snapshot of the earlier form instead of failing later (e.g. a timer addressed to a class that no longer has
 * the method it calls: a TypeError from a scheduler step, outside any call).
 *
 * Method: the persisted form — every registered class's name with what of its spec decides what is written and
 * how it is read back (transient fields; save, restore and revive hooks), and the field names engines in several
 * states actually write (class entries, the plain records under their fields, saved hooks' data) — is listed and
 * hashed, and the hash is compared with SNAPSHOT_FINGERPRINT, checked in beside the version. Copy-only and
 * key-only declarations (owned, history, unordered, times, keyFields, copy, copied) do not change a snapshot and
 * are left out. `SNAPSHOT_FORM=print` prints the listing (to compare with the previous commit's).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VMHALTMETHOD } from '../../machines/halt-method.js';
import { SNAPSHOT_FINGERPRINT, SNAPSHOT_VERSION } from '../../src/api/snapshot.js';
import { VERR_VERSION_MISMATCH, type GuestAction, type GuestContext, type PersistedVmm, type Vmm } from '../../src/index.js';
import type { GraphEntry, GraphValue } from '../../src/persist/graph-format.js';
import { DeterministicScheduler } from '../../src/sched/deterministic.js';
import { registeredClassByName, registeredClassNames } from '../../src/persist/registry.js';
import { MemorySink } from '../../src/ssm/sinks.js';
import { vmR3SetHaltMethodU } from '../../src/vmm/halt/set-method.js';
import { engine } from './snapshot-support.js';

const MS = 1_000_000;

/** Halts until the next 1 ms tick: every vCPU blocks in its halt method (on the semaphore for OLD and METHOD_1). */
const tickGuest = (ctx: GuestContext): GuestAction => ({ kind: 'halt', untilNs: (Math.floor(ctx.nowNs / MS) + 1) * MS });
/** The callback of the pending calls (named: a snapshot holds it by its name). */
const nothing = (): void => undefined;
const functions = { tickGuest, nothing };

/** Engines in the states a snapshot meets: halted vCPUs (each halt method's waits), calls pending, a live save. */
const STATES: [string, () => Promise<Vmm>][] = [
  ...(['OLD', 'METHOD_1', 'GLOBAL_1', 'BOOTSTRAP'] as const).map((method): [string, () => Promise<Vmm>] => [`halted, ${method}`, async () => {
    const vmm = engine({ seed: 3, hooks: { executeGuest: tickGuest }, functions });
    const vm = await vmm.create({ cpus: 2, config: { NumCPUs: 2 } });
    await vm.reqCallWait('any', (ctx) => vmR3SetHaltMethodU(ctx.vm, VMHALTMETHOD[method]));
    await vm.powerOn();
    await vmm.advance(2_500_000);
    return vmm;
  }]),
  ['calls pending', async () => {
    const vmm = engine({ seed: 5, functions });
    const vm = await vmm.create({ cpus: 3, config: { NumCPUs: 3 } });
    await vm.powerOn();
    void vm.suspend().catch(() => undefined);
    void vm.emtRendezvous({ type: 'descending' }, nothing).catch(() => undefined);
    void vm.reqCallWait('all-reverse', nothing).catch(() => undefined);
    return vmm;
  }],
  ['live save', async () => {
    // Stepped by hand (as the checker does), so the save is caught in its live passes.
    const sched = new DeterministicScheduler({ autoRun: false });
    const vmm = engine({ scheduler: sched, functions });
    const vm = vmm.createThen({ cpus: 2, config: { NumCPUs: 2 }, ram: { sizeBytes: 1024 * 1024 } }, nothing);
    sched.runSync(true);
    void vm.powerOn().catch(() => undefined);
    sched.runSync(true);
    void vm.save(new MemorySink()).catch(() => undefined);
    for (let i = 0; i < 10_000 && vm.core.vmState !== 'RUNNING_LS'; i++) sched.runSync(true, 1);
    expect(vm.core.vmState).toBe('RUNNING_LS');
    return vmm;
  }],
];

/**
 * `Class.field`, `Class.field.key`, `Class.field[]`, `Class.field<value>` … for every field name an entry writes, and
 * `… (frozen)` where the record is frozen (a restore freezes it again).
 */
function writtenNames(objects: readonly GraphEntry[]): Set<string> {
  const names = new Set<string>();
  const entryOf = (value: GraphValue | string | undefined): GraphEntry | undefined =>
    Array.isArray(value) && value[0] === 'ref' ? objects[value[1] as number] : undefined;
  // Down through plain records and collections only: a class entry is listed under its own name.
  const under = (value: GraphValue | string | undefined, path: string, seen: Set<GraphEntry>): void => {
    const entry = entryOf(value);
    if (!entry || seen.has(entry)) return;
    seen.add(entry);
    if (entry.frozen) names.add(`${path} (frozen)`);
    if (entry.kind === 'object' || entry.kind === 'null-object') {
      for (const [key, v] of Object.entries(entry.fields ?? {})) {
        names.add(`${path}.${key}`);
        under(v, `${path}.${key}`, seen);
      }
    } else if (entry.kind === 'array' || entry.kind === 'set') {
      for (const v of entry.items ?? []) under(v, `${path}[]`, seen);
    } else if (entry.kind === 'map') {
      (entry.items ?? []).forEach((v, i) => under(v, `${path}<${i % 2 === 0 ? 'key' : 'value'}>`, seen));
    }
  };
  for (const entry of objects) {
    if (entry.kind === 'class') {
      for (const [key, v] of Object.entries(entry.fields ?? {})) {
        names.add(`${entry.name}.${key}`);
        under(v, `${entry.name}.${key}`, new Set());
      }
    } else if (entry.kind === 'saved') {
      names.add(`${entry.name} (saved)`);
      under(entry.data, `${entry.name} (saved)`, new Set());
    }
  }
  return names;
}

/**
 * The registry's part of the form: each class with its transient fields and which hooks read or write it. It holds
 * every class the imports of this file register: an import that brings in more (checker classes, say) changes the
 * hash without changing what engines write. That fails safe: see what changed (SNAPSHOT_FORM=print) before raising.
 */
function registryForm(): string[] {
  return registeredClassNames().filter((name) => !name.startsWith('test.')).sort().map((name) => {
    const spec = registeredClassByName(name)!.spec;
    const hooks = (['save', 'restore', 'revive'] as const).filter((hook) => spec[hook] !== undefined);
    return `${name} transient=[${[...(spec.transient ?? [])].sort().join(',')}] hooks=[${hooks.join(',')}]`;
  });
}

async function persistedForm(): Promise<string[]> {
  const written = new Set<string>();
  for (const [, build] of STATES) {
    const vmm = await build();
    for (const name of writtenNames(vmm.getPersistedSnapshot().graph.objects)) written.add(name);
  }
  return [...registryForm(), ...[...written].sort()];
}

const fingerprintOf = (form: readonly string[]): string => createHash('sha256').update(form.join('\n')).digest('hex').slice(0, 16);

describe('the persisted form', () => {
  it('is the one SNAPSHOT_VERSION names (SNAPSHOT_FINGERPRINT)', async () => {
    const form = await persistedForm();
    if (process.env.SNAPSHOT_FORM === 'print') console.log(form.join('\n'));
    // Not vacuous: the states reach the halt semaphore's waiter and the live save.
    expect(form.some((line) => line.startsWith('EventSem.'))).toBe(true);
    expect(form.some((line) => line.startsWith('SsmLiveSave.'))).toBe(true);
    const fingerprint = fingerprintOf(form);
    expect(fingerprint, `persisted form changed: raise SNAPSHOT_VERSION (now ${SNAPSHOT_VERSION}) and update the fingerprint to '${fingerprint}'`)
      .toBe(SNAPSHOT_FINGERPRINT);
  });

  // Written by the code of db93173 (version 7): one vCPU halted through OLD, blocked on its semaphore until the next
  // tick; its timeout timer is addressed to the EventSem. Read as this version, its timer would fire into a class
  // without timerFired (a TypeError from a scheduler step, outside any call): the version refuses it first.
  it('refuses an older snapshot before reading it: version 7, a vCPU waiting on its semaphore', () => {
    const old = JSON.parse(readFileSync(new URL('fixtures/snapshot-v7-sem-wait.json', import.meta.url), 'utf8')) as PersistedVmm;
    expect(old.version).toBe(7);
    expect(JSON.stringify(old.graph)).toContain('"EventSem"');
    expect(() => engine({ snapshot: old, functions, hooks: { executeGuest: tickGuest } })).toThrow(expect.objectContaining({ rc: VERR_VERSION_MISMATCH }));
  });
});
