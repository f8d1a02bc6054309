/**
 * Each rendezvous runs its callback on the EMTs in the order its type prescribes (vbox-facts.md §6.4): every EMT
 * enters once and before any callback runs; DESCENDING n-1 … 0 (EMT(0) last), ASCENDING 0 … n-1, ONE_BY_ONE the
 * last arriver first and then each EMT once, ONCE only the last arriver, ALL_AT_ONCE each EMT once. Observed
 * from the rendezvous events, not read from the machine's own bookkeeping. The monitor keeps sets, not
 * sequences, so interleavings that only differ in who entered first stay one state.
 */
import { rendezvousTypeOf } from '../../../machines/rendezvous.js';
import type { Monitor, MonitorContext, PropertyDef } from '../property.js';
import { persistable } from '../../persist/registry.js';
import type { KeyWriter } from '../key-writer.js';
import type { VmTraceEvent } from '../../vmm/vm-core.js';

/** EMTs by id as sets, not 32-bit masks: sampling runs have up to 32 vCPUs and more (pct.ts). */
interface Watch {
  type: string;
  entered: Set<number>;
  enteredCount: number;
  /** The last EMT to enter, once all have. */
  last: number;
  done: Set<number>;
  doneCount: number;
  first: number;
}

export const rendezvousOrder: PropertyDef = {
  name: 'rendezvous-order',
  description: 'every EMT enters each rendezvous once before any callback runs, and callbacks run in the order of the type (§6.4)',
  create: () => new RendezvousOrderMonitor(),
};

class RendezvousOrderMonitor implements Monitor {
  private readonly watches = new Map<string, Watch>();
  readonly name = 'rendezvous-order';
  readonly events: readonly VmTraceEvent['kind'][] = ['rendezvous'];
  onEvent(event: VmTraceEvent, ctx: MonitorContext): void {
    if (event.kind !== 'rendezvous') return;
    if (event.event === 'begin') {
      this.watches.set(event.id, { type: rendezvousTypeOf(event.flags ?? 0), entered: new Set(), enteredCount: 0, last: -1, done: new Set(), doneCount: 0, first: -1 });
      return;
    }
    const watch = this.watches.get(event.id);
    if (!watch) return;
    const n = ctx.view.cpus;
    const cpu = event.cpu ?? -1;
    if (event.event === 'enter') {
      if (watch.entered.has(cpu)) ctx.fail('rendezvous-order', `${watch.type} rendezvous ${ctx.view.rendezvousName(event.id)}: EMT ${cpu} entered twice`);
      watch.entered.add(cpu);
      if (++watch.enteredCount === n) watch.last = cpu;
    } else if (event.event === 'callbackDone') {
      if (watch.enteredCount < n) {
        ctx.fail('rendezvous-order', `${watch.type} rendezvous ${ctx.view.rendezvousName(event.id)}: the callback ran on EMT ${cpu} before every EMT entered (${watch.enteredCount} of ${n})`);
      }
      const k = watch.doneCount;
      const expected =
        watch.type === 'descending' ? n - 1 - k : watch.type === 'ascending' ? k : (watch.type === 'one-by-one' || watch.type === 'once') && k === 0 ? watch.last : undefined;
      if (watch.done.has(cpu)) ctx.fail('rendezvous-order', `${watch.type} rendezvous ${ctx.view.rendezvousName(event.id)}: the callback ran twice on EMT ${cpu}`);
      else if (watch.type === 'once' && k > 0) ctx.fail('rendezvous-order', `once rendezvous ${ctx.view.rendezvousName(event.id)}: the callback ran again, on EMT ${cpu} after EMT ${watch.first}`);
      else if (expected !== undefined && cpu !== expected) {
        ctx.fail('rendezvous-order', `${watch.type} rendezvous ${ctx.view.rendezvousName(event.id)}: callback ${k + 1} ran on EMT ${cpu}, expected EMT ${expected}${k === 0 && (watch.type === 'once' || watch.type === 'one-by-one') ? ' (the last to arrive)' : ''}`);
      }
      if (k === 0) watch.first = cpu;
      watch.done.add(cpu);
      watch.doneCount++;
    } else if (event.event === 'finish') {
      const want = watch.type === 'once' ? 1 : n;
      if (watch.doneCount !== want) {
        ctx.fail('rendezvous-order', `${watch.type} rendezvous ${ctx.view.rendezvousName(event.id)} finished after ${watch.doneCount} callbacks, expected ${want}`);
      }
      this.watches.delete(event.id);
    }
  }
  encode(key: KeyWriter, cpu: (c: number) => number): void {
    key.w(this.watches.size);
    for (const watch of this.watches.values()) {
      let entered = 0;
      let done = 0;
      for (const c of watch.entered) entered |= 1 << cpu(c);
      for (const c of watch.done) done |= 1 << cpu(c);
      key.w(entered);
      key.w(done);
      // Who arrived last matters only where the last arriver runs first.
      const lastMatters = watch.type === 'once' || watch.type === 'one-by-one';
      key.w(watch.last < 0 || !lastMatters ? -1 : cpu(watch.last));
      key.w(watch.first < 0 ? -1 : cpu(watch.first));
    }
  }
}

persistable('RendezvousOrderMonitor', RendezvousOrderMonitor);
