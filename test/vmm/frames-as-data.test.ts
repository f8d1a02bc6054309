/**
 * Frames are records and their continuations are named (DESIGN.md "Engine state is data"; issue 12 item 1).
 *
 * Goal: while EMTs are blocked — in a rendezvous (caller, members, each phase), in VMR3ReqWait on another CPU,
 * in an EmtBlock whose `then` is pending — no frame on any EMT's stack holds a function: each has a `kind`,
 * and where its status goes is a record `{ k, ...fields }` whose name is in the continuation table, chained
 * through `next`. User functions (the `then`, the rendezvous callback) sit in the VM's function table,
 * referenced by id, and leave it once used. A guest slice or halt frame is a record too, and its deadline is
 * a timer record for its EMT (`vm.1/emt.1/slice`, `…/halt`), not a closure.
 *
 * Method: a request on the last CPU waits (ctx.reqCallWait with a `then`) for one on CPU 0, then a rendezvous
 * with a `then` runs; each callback records every EMT's stack at that moment. Table-driven over vCPU counts
 * and rendezvous types.
 */
import { describe, expect, it } from 'vitest';
import { createVMM, type RendezvousOptions } from '../../src/index.js';
import { emtRendezvous } from '../../src/vmm/types.js';
import { rendezvousFlags } from '../../machines/rendezvous.js';
import type { DeterministicScheduler } from '../../src/sched/deterministic.js';

const CONTINUATION_NAMES = new Set([
  'emt.loopStepDone', 'emt.requestDone', 'emt.then', 'rendezvous.frame', 'reqCall.inlineDone', 'reqCall.waited', 'reqCall.walk',
  'reqCall.finish', 'reqCall.settle',
]);

/** The problems with one frame as data: functions among its fields or its continuation chain's. */
function problems(frame: object, where: string): string[] {
  const found: string[] = [];
  const fields = frame as Record<string, unknown>;
  if (typeof fields.kind !== 'string') found.push(`${where}: no kind`);
  for (const [name, value] of Object.entries(fields)) if (typeof value === 'function') found.push(`${where}.${name} is a function`);
  let next = fields.next as Record<string, unknown> | undefined;
  let depth = 0;
  while (next !== undefined) {
    if (typeof next.k !== 'string' || !CONTINUATION_NAMES.has(next.k)) found.push(`${where}: continuation ${String(next.k)} is not named`);
    for (const [name, value] of Object.entries(next)) if (typeof value === 'function') found.push(`${where}.next(${depth}).${name} is a function`);
    next = next.next as Record<string, unknown> | undefined;
    depth++;
  }
  return found;
}

describe('frames as records with named continuations', () => {
  const rows = (['descending', 'ascending', 'one-by-one', 'all-at-once', 'once'] as RendezvousOptions['type'][]).flatMap((type) => [2, 3, 4].map((cpus) => ({ type, cpus })));
  it.each(rows)('$type rendezvous on $cpus vCPUs inside a request wait: every stack is data', async ({ type, cpus }) => {
    const vmm = createVMM({ clock: 'virtual' });
    const vm = await vmm.create({ cpus });
    const found: string[] = [];
    const kinds = new Set<string>();
    const chains = new Set<string>();
    const look = () => {
      for (const emt of vm.core.emts) {
        emt.frames.forEach((frame, i) => {
          found.push(...problems(frame, `emt.${emt.cpu}[${i}]`));
          kinds.add(String((frame as { kind?: unknown }).kind));
          let next = (frame as { next?: { k: string; next?: unknown } }).next;
          const chain: string[] = [];
          while (next) (chain.push(next.k), (next = next.next as typeof next));
          chains.add(chain.join(' → '));
        });
      }
    };
    let thens = 0;
    const then = (status: number) => (thens++, status);
    expect(await vm.reqCallWait(cpus - 1, (ctx) => ctx.reqCallWait(0, () => void look(), [], then))).toBe(0);
    expect(await vm.reqCallWait('any', () => emtRendezvous(rendezvousFlags(type), () => void look(), then))).toBe(0);
    vmm.dispose();
    expect(thens).toBe(2);
    expect(found).toEqual([]);
    // What was on the stacks: the last CPU in VMR3ReqWait, then the rendezvous frames.
    expect([...kinds].sort()).toEqual(['call', 'rendezvous']);
    // The waiting CPU: the wait's end, the packet freed, its `then` by id, its own request's end. The rendezvous'
    // caller: its `then`, then the request's end; the members: the end of their loop step.
    expect([...chains].sort()).toEqual(['emt.loopStepDone', 'emt.then → emt.requestDone', 'reqCall.waited → reqCall.finish → emt.then → emt.requestDone']);
    // The user functions left the table once used.
    expect(vm.core.functions.size).toBe(0);
  });

  it.each([
    ['run', 'guestSlice'],
    ['halt', 'halt'],
  ] as const)('guest code (%s): the frame is a record and its deadline a timer record for its EMT', async (action, kind) => {
    const vmm = createVMM({
      clock: 'virtual',
      hooks: { executeGuest: () => (action === 'run' ? { kind: 'run', ns: 1_000_000 } : { kind: 'halt', untilNs: 10_000_000_000 }), halt: undefined, wait: undefined, notifyCpuFF: undefined },
    });
    const vm = await vmm.create({ cpus: 2 });
    await vm.powerOn();
    const seen: string[] = [];
    const found: string[] = [];
    await vm.reqCallWait(0, () => {
      const frame = vm.core.emts[1]!.top()!;
      seen.push(String((frame as { kind?: unknown }).kind));
      found.push(...problems(frame, 'emt.1[top]'));
    });
    const timers = (vmm.sched as DeterministicScheduler).timerList().map((t) => t.label);
    await vm.powerOff();
    vmm.dispose();
    expect(seen).toEqual([kind]);
    expect(found).toEqual([]);
    expect(timers).toContain(`vm.1/emt.1/${action === 'run' ? 'slice' : 'halt'}`);
  });
});
