/**
 * Stable names for the things a world creates while it runs, so state keys and messages never contain raw
 * request ids, thread ids or rendezvous counters (which depend on the order things happened in). A request is
 * named after who allocated it (`A#1.0`: client A's call 1, first packet), a rendezvous after the request it
 * serves (`A#1.0/rv`), an external thread after its call. Names are interned to integers for keys.
 */
import type { Steppable } from '../sched/scheduler.js';
import type { ExternalThread } from '../vmm/external.js';
import { Emt } from '../vmm/emt.js';
import { RendezvousFrame, type RendezvousInstance } from '../vmm/rendezvous.js';
import type { ReqPool, ReqPoolWatcher, VmReq } from '../vmm/requests.js';
import { persistable } from '../persist/registry.js';
import { EMPTY_LIST, pushed, removedAt } from '../persist/empty-list.js';
import type { VmCore, VmTraceEvent } from '../vmm/vm-core.js';
import type { CallSpec } from './scenario.js';

const internTable = new Map<string, number>();
const internNames = new Map<number, string>();

/**
 * An integer for a string (state keys compare integers, never strings). It is a hash of the string, not a
 * sequence number, so every thread gives a name the same integer and the explorer's worker threads
 * (parallel.ts) compute the same keys as the main thread. Two names with one integer would merge states that
 * differ: that is an error, never a silent merge.
 */
export function intern(name: string): number {
  let id = internTable.get(name);
  if (id === undefined) {
    id = nameHash(name);
    const other = internNames.get(id);
    if (other !== undefined) throw new Error(`intern: '${name}' and '${other}' have the same key integer ${id}`);
    internNames.set(id, name);
    internTable.set(name, id);
  }
  return id;
}

export const internedName = (id: number): string => internNames.get(id) ?? `#${id}`;

/** FNV-1a over the UTF-16 units with MurmurHash3's finaliser: one 32-bit word per string. */
export function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A name's hash kept clear of small integers (state indices, -1). */
function nameHash(name: string): number {
  const h = stringHash(name);
  return h >= -0x10000 && h < 0x10000 ? h ^ 0x5a5a0000 : h;
}

/** One client call in flight or done. */
export interface CallRef {
  readonly client: string;
  readonly clientIndex: number;
  readonly index: number;
  readonly spec: CallSpec;
  /** `A#1`. */
  readonly label: string;
  readonly labelId: number;
}

export interface ReqLabel {
  readonly label: string;
  readonly labelId: number;
  /** The client call it serves, or null for the engine's own packets (create, reset FF). */
  readonly call: CallRef | null;
}

/** An empty name table (Labels.rendezvous, Labels.allocs): shared until the first write replaces it. */
const NO_NAMES: Readonly<Record<string, never>> = Object.freeze({});

/** A label record: frozen data (its call is a frozen CallRef), so every world copy shares it. */
const reqLabel = (label: string, call: CallRef | null): ReqLabel => Object.freeze({ label, labelId: intern(label), call });

/** Who is stepping, as the world says (a field, not a closure: labels are part of a world's snapshot). */
export interface StepHost {
  readonly stepping: Steppable | null;
  /** The clients (the World's), for the key: only a call in flight names packets still to come. */
  readonly clients?: readonly { readonly pending: CallRef | null }[];
}

export class Labels implements ReqPoolWatcher {
  readonly threadCall = new Map<ExternalThread, CallRef>();
  readonly reqs = new Map<VmReq, ReqLabel>();
  readonly reqById = new Map<number, VmReq>();
  /** Requests each EMT is processing (vmR3ReqProcessOne), innermost last. */
  readonly processing: (readonly VmReq[])[];
  /**
   * Rendezvous labels by instance id, and packets allocated per owner label (names the next one): frozen records
   * replaced at each write (a rendezvous begins, a packet is named), so world copies share them.
   */
  private rendezvous: Readonly<Record<string, ReqLabel>> = NO_NAMES;
  private allocs: Readonly<Record<string, number>> = NO_NAMES;

  constructor(
    readonly core: VmCore,
    readonly host: StepHost,
  ) {
    this.processing = Array.from({ length: core.cCpus }, () => EMPTY_LIST);
  }

  /** Name every packet the pool hands out, after whoever is stepping. */
  watchPool(pool: ReqPool): void {
    pool.watcher = this;
  }

  /** A packet `pool` just handed out: named after whoever is stepping. */
  named(req: VmReq): void {
    const owner = this.ownerOfStep();
    const n = this.allocations(owner.label);
    this.allocs = Object.freeze({ ...this.allocs, [owner.label]: n + 1 });
    const label = `${owner.label}.${n}`;
    this.reqs.set(req, reqLabel(label, owner.call));
    this.reqById.set(req.id, req);
  }

  stepping(): Steppable | null {
    return this.host.stepping;
  }

  /** Who the current step works for: a client call, or the EMT's current request / rendezvous. */
  ownerOfStep(): { label: string; call: CallRef | null } {
    const actor = this.stepping();
    if (!actor) return { label: 'engine', call: null };
    const call = this.threadCall.get(actor as ExternalThread);
    if (call) return { label: call.label, call };
    if (actor instanceof Emt) return this.ownerOfEmt(actor);
    return { label: actor.id, call: null };
  }

  /** An EMT works for the rendezvous whose callback it runs, else for the request it processes. */
  ownerOfEmt(emt: Emt): { label: string; call: CallRef | null } {
    for (let i = emt.frames.length - 1; i >= 0; i--) {
      const frame = emt.frames[i]!;
      if (frame instanceof RendezvousFrame && frame.phase === 'callback' && frame.instance) {
        const rv = this.rendezvousLabel(frame.instance.id);
        if (rv) return { label: rv.label, call: rv.call };
      }
    }
    const req = this.processing[emt.cpu]!.at(-1);
    const label = req ? this.reqs.get(req) : undefined;
    if (label) return { label: label.label, call: label.call };
    return { label: `emt.${emt.cpu}`, call: null };
  }

  onEvent(event: VmTraceEvent): void {
    if (event.kind === 'request') {
      const req = this.reqById.get(event.id);
      if (!req) return;
      if (event.to === 'PROCESSING') {
        const actor = this.stepping();
        if (actor instanceof Emt) this.processing[actor.cpu] = pushed(this.processing[actor.cpu]!, req);
      } else if (event.from === 'PROCESSING') {
        const processing = this.processing;
        for (let cpu = 0; cpu < processing.length; cpu++) {
          const i = processing[cpu]!.indexOf(req);
          if (i >= 0) processing[cpu] = removedAt(processing[cpu]!, i);
        }
      }
    } else if (event.kind === 'rendezvous' && event.event === 'begin') {
      const actor = this.stepping();
      const owner = actor instanceof Emt ? this.ownerOfEmt(actor) : { label: 'engine', call: null };
      const label = `${owner.label}/rv`;
      this.rendezvous = Object.freeze({ ...this.rendezvous, [event.id]: reqLabel(label, owner.call) });
    }
  }

  /** Names start afresh at CREATED, so worlds that watched VM creation and worlds that did not agree. */
  forgetCreation(): void {
    this.allocs = NO_NAMES;
    this.rendezvous = NO_NAMES;
  }

  /** Packets allocated so far on behalf of `owner` (a call label). */
  allocations(owner: string): number {
    return Object.hasOwn(this.allocs, owner) ? this.allocs[owner]! : 0;
  }

  reqLabelId(req: VmReq): number {
    return this.reqs.get(req)?.labelId ?? intern(`raw.${req.id}`);
  }

  reqName(req: VmReq): string {
    return this.reqs.get(req)?.label ?? `req.${req.id}`;
  }

  rendezvousLabelId(instance: RendezvousInstance): number {
    return this.rendezvousLabel(instance.id)?.labelId ?? intern(`raw.${instance.id}`);
  }

  rendezvousName(id: string): string {
    return this.rendezvousLabel(id)?.label ?? id;
  }

  /** The label of the rendezvous instance `id`, if one began while this world watched. */
  rendezvousLabel(id: string): ReqLabel | undefined {
    return Object.hasOwn(this.rendezvous, id) ? this.rendezvous[id] : undefined;
  }

  /** The call a thread (`ext.N`) runs: a scan of the few live calls, not an index a world copy would copy. */
  callOfThread(id: string): CallRef | undefined {
    for (const [thread, call] of this.threadCall) if (thread.id === id) return call;
    return undefined;
  }

  /** A timer label with thread ids replaced by call names (`A#1/timeout`). */
  timerLabel(label: string): string {
    const slash = label.indexOf('/');
    const head = slash < 0 ? label : label.slice(0, slash);
    const call = this.callOfThread(head);
    return call ? `${call.label}${slash < 0 ? '' : label.slice(slash)}` : label;
  }
}

// The checker's name tables, filled in the order calls and packets happened to start: order is no state.
// reqById indexes reqs by id (derived, keyed by history): out of the key.
// A free packet's label is stale (named() names it again when it is reused): the key keeps live packets' labels.
persistable('Labels', Labels, {
  owned: ['threadCall', 'reqs', 'reqById'],
  ownedItems: ['processing'],
  unordered: ['threadCall', 'reqs', 'rendezvous', 'allocs'],
  history: ['reqById'],
  keyFields: {
    reqs: (_labels, reqs: Map<VmReq, ReqLabel>) => new Map([...reqs].filter(([req]) => req.state !== 'FREE')),
    // Keyed by instance id (a counter): the key keys the live instances' labels by the instance itself.
    rendezvous: (labels) => new Map(labels.core.rendezvousStack.flatMap((rv) => (labels.rendezvousLabel(rv.id) ? [[rv, labels.rendezvousLabel(rv.id)!]] : []))),
    // Where a call in flight is in its flow (the packets it used, as the hand key reads it); a finished call's count names nothing to come.
    allocs: (labels) => new Map((labels.host.clients ?? []).flatMap((c) => (c.pending ? [[c.pending.label, labels.allocations(c.pending.label)]] : []))),
  },
});
