/**
 * Each EMT's walk through a rendezvous at run time is the member machine (machines/rendezvous-member.ts), and
 * the walk is visible (vbox-facts.md §6.3–§6.4).
 *
 * Goal: for every rendezvous type on 1–4 vCPUs, every EMT's walk as the engine reports it is the §6.3/§6.4
 * walk for its role: the caller (the EMT that took the VMCPUID_ANY request) spins on the lock, enters, runs its
 * callback unless ONCE picks another EMT, waits for DoneCaller and finishes; every other EMT enters and returns
 * on "done"; one vCPU takes the direct path. The walks reach an inspector as actors of machine
 * `rendezvousMember` (the broken-finish variant is the checker's rendezvous-lock-kept mutant).
 *
 * Method: table-driven, deterministic scheduler; walks read from `vm.events$` ('rendezvous-member').
 */
import { describe, expect, it } from 'vitest';
import { createVMM, type RendezvousOptions, type VmTraceEvent } from '../../src/index.js';
import type { InspectionRecord } from '../../src/inspect/records.js';

type Member = Extract<VmTraceEvent, { kind: 'rendezvous-member' }>;
type Type = RendezvousOptions['type'];

/** Each EMT's states in order, per member machine instance. */
function walks(events: readonly VmTraceEvent[]): Map<string, { cpu: number; states: string[] }> {
  const byId = new Map<string, { cpu: number; states: string[] }>();
  for (const e of events) {
    if (e.kind !== 'rendezvous-member') continue;
    const m = e as Member;
    const walk = byId.get(m.systemId) ?? { cpu: m.cpu, states: [m.from] };
    expect(walk.states.at(-1)).toBe(m.from);
    walk.states.push(m.to);
    byId.set(m.systemId, walk);
  }
  return byId;
}

const CALLER = ['idle', 'lock', 'enter', 'turn', 'callback', 'doneCaller', 'finished'];
const CALLER_ONCE_SKIPPED = ['idle', 'lock', 'enter', 'doneCaller', 'finished'];
const MEMBER = ['idle', 'enter', 'turn', 'callback', 'done', 'returned'];
const MEMBER_ONCE_SKIPPED = ['idle', 'enter', 'done', 'returned'];

describe('rendezvous member walks at run time', () => {
  const rows = (['one-by-one', 'all-at-once', 'once', 'ascending', 'descending'] as Type[]).flatMap((type) => [1, 2, 3, 4].map((cpus) => ({ type, cpus })));
  it.each(rows)('$type on $cpus vCPUs: one walk per EMT, the caller finishes, the others return', async ({ type, cpus }) => {
    const vmm = createVMM({ clock: 'virtual' });
    const vm = await vmm.create({ cpus });
    const events: VmTraceEvent[] = [];
    vm.events$.subscribe((e) => events.push(e));
    const ran: number[] = [];
    await vm.emtRendezvous({ type }, (ctx) => void ran.push(ctx.cpu));
    vmm.dispose();
    const all = [...walks(events).values()];
    expect(all.map((w) => w.cpu).sort()).toEqual(Array.from({ length: cpus }, (_, i) => i));
    if (cpus === 1) {
      expect(all[0]!.states).toEqual(['idle', 'direct', 'finished']);
      return;
    }
    const callers = all.filter((w) => w.states.at(-1) === 'finished');
    expect(callers).toHaveLength(1);
    const caller = callers[0]!;
    expect(caller.states).toEqual(type === 'once' && !ran.includes(caller.cpu) ? CALLER_ONCE_SKIPPED : CALLER);
    for (const member of all.filter((w) => w !== caller)) {
      expect(member.states).toEqual(type === 'once' && !ran.includes(member.cpu) ? MEMBER_ONCE_SKIPPED : MEMBER);
    }
  });

  it('each walk reaches an inspector as an actor of machine rendezvousMember under its VM', async () => {
    const records: InspectionRecord[] = [];
    const vmm = createVMM({ clock: 'virtual', inspect: { protocol: 'v5', record: (r: InspectionRecord) => records.push(r) } });
    const vm = await vmm.create({ cpus: 2 });
    await vm.powerOn();
    vmm.dispose();
    const actors = records.filter((r) => r.type === '@xstate.actor' && (r as { machine?: string }).machine === 'rendezvousMember');
    // Creation's rendezvous and powerOn's, two EMTs each.
    expect(actors.map((r) => (r as { parentId?: string }).parentId)).toEqual(['vm.1', 'vm.1', 'vm.1', 'vm.1']);
    const finals = records.filter((r) => r.type === '@xstate.snapshot' && actors.some((a) => a.actorId === r.actorId) && (r as { snapshot: { value: string } }).snapshot.value === 'finished');
    expect(finals).toHaveLength(2); // one caller each
  });
});
