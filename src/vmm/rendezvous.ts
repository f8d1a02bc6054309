/**
 * EMT rendezvous at run time (VMMR3EmtRendezvous, §6.3–§6.6): the lock, the direct path for one CPU, the
 * recursive path, and each EMT's walk through one rendezvous instance (enter → turn → callback → done →
 * return / finish). The counters and the order live in machines/rendezvous.ts; this file decides when an EMT
 * may take its next step and wakes the EMTs a transition unblocks.
 */
import {
  RENDEZVOUS_RECURSION_MAX, allowsRecursion, informationalPart, mergeStatus, rendezvousMachine, rendezvousTypeOf,
  type RendezvousContext, type RendezvousEvent, type RendezvousType, RV_TYPE_MASK, RV_VALID_MASK, RV_STOP_ON_ERROR,
} from '../../machines/rendezvous.js';
import { VERR_DEADLOCK, VERR_INVALID_FLAGS, VERR_IPE_UNEXPECTED_INFO_STATUS, isEmStatus, VINF_SUCCESS } from '../status.js';
import { MachineCell } from '../sched/machine-cell.js';
import { beginEvent, callbackDoneEvent, enterEvent, FINISH, returnEvent, takeTurnEvent } from './rendezvous-events.js';
import type { Emt, Frame } from './emt.js';
import { VM_FF_EMT_RENDEZVOUS, VMNOTIFYFF_FLAGS_POKE } from './ff.js';
import type { RendezvousCallback } from './types.js';
import type { VmCore } from './vm-core.js';
import { callbackName } from './user-callback.js';

/** One rendezvous: the machine plus who has entered and returned. */
export class RendezvousInstance {
  readonly cell: MachineCell<RendezvousEvent>;
  readonly entered = new Set<number>();

  constructor(
    readonly vm: VmCore,
    readonly id: string,
    readonly callback: RendezvousCallback,
    readonly parent: RendezvousInstance | null,
  ) {
    this.cell = new MachineCell<RendezvousEvent>(vm.host.machines?.rendezvous ?? rendezvousMachine, id);
    this.cell.listener = (cell, from, anyEvent) => {
      const event = anyEvent as RendezvousEvent;
      const cpu = 'cpu' in event ? event.cpu : null;
      const tNs = vm.nowNs();
      const type = event.type;
      const to = cell.value;
      const was = from.value as string;
      // One object literal per shape (no spreads): begin carries the flags, callbackDone the status, finish the merge.
      vm.emit(
        type === 'begin'
          ? { kind: 'rendezvous', id, from: was, to, event: type, cpu, tNs, flags: event.flags }
          : type === 'callbackDone'
            ? { kind: 'rendezvous', id, from: was, to, event: type, cpu, tNs, rc: event.rc, ran: event.ran }
            : type === 'finish'
              ? { kind: 'rendezvous', id, from: was, to, event: type, cpu, tNs, status: (from.context as RendezvousContext).status }
              : { kind: 'rendezvous', id, from: was, to, event: type, cpu, tNs },
      );
    };
  }

  get ctx(): RendezvousContext {
    return this.cell.context as RendezvousContext;
  }

  get phase(): string {
    return this.cell.value;
  }

  /** The done multi-event is signalled once every callback has finished (or ONCE's one did). */
  get doneSignalled(): boolean {
    return this.phase === 'returning' || this.phase === 'finishing' || this.phase === 'idle';
  }

  mayRun(cpu: number): boolean {
    const ctx = this.ctx;
    if (this.phase !== 'running' || ctx.order.includes(cpu)) return false;
    if (ctx.released) return true;
    if (ctx.runner === cpu) return true;
    return ctx.type === 'one-by-one' && ctx.token;
  }
}

/** Check flags like VMMR3EmtRendezvous's asserts do. */
export function checkRendezvousFlags(flags: number): number {
  const type = flags & RV_TYPE_MASK;
  if ((flags & ~RV_VALID_MASK) !== 0 || type === 0 || type > 5) return VERR_INVALID_FLAGS;
  if ((flags & RV_STOP_ON_ERROR) !== 0 && (type === 2 || type === 3)) return VERR_INVALID_FLAGS;
  return VINF_SUCCESS;
}

/** The innermost rendezvous this EMT is taking part in (fInRendezvous): its type and nesting depth. */
function innermostOf(emt: Emt): { type: RendezvousType; depth: number; instance: RendezvousInstance | null } | null {
  for (let i = emt.frames.length - 1; i >= 0; i--) {
    const frame = emt.frames[i]!;
    if (frame instanceof RendezvousFrame && frame.instance) {
      return { type: frame.instance.ctx.type, depth: frame.instance.ctx.depth, instance: frame.instance };
    }
    if (frame instanceof DirectRendezvousFrame) return { type: frame.type, depth: frame.depth, instance: null };
  }
  return null;
}

/**
 * The direct path (one CPU, or a dying VM): the callback runs on the calling EMT alone, but the EMT is still
 * "in a rendezvous" for the recursion rules while the callback (and anything it nests) is running.
 */
class DirectRendezvousFrame implements Frame {
  constructor(
    readonly type: RendezvousType,
    readonly depth: number,
  ) {}

  get describe() {
    return `rendezvous:direct:${this.type}`;
  }

  canProgress(): boolean {
    return false; // never on top while waiting: the callback's own waits sit above it
  }

  progress(): void {}
}

/** The type of the direct-path rendezvous a frame stands for, or null (the checker's coverage counts these). */
export const directRendezvousType = (frame: Frame | undefined): RendezvousType | null =>
  frame instanceof DirectRendezvousFrame ? frame.type : null;

/**
 * VMMR3EmtRendezvous on an EMT. Returns a status right away (direct path, bad flags, deadlock) or pushes a
 * frame that will deliver the status to `resume` when the rendezvous is over.
 */
export function startRendezvous(emt: Emt, flags: number, callback: RendezvousCallback, resume: (rc: number) => void): void {
  const vm = emt.vm;
  const bad = checkRendezvousFlags(flags);
  if (bad !== VINF_SUCCESS) return resume(bad);
  const inside = innermostOf(emt);
  if (inside) {
    // A rendezvous from inside one: recursion, allowed only under ASC/DESC/ONE_BY_ONE/ONCE and depth < 3.
    if (!allowsRecursion(inside.type) || inside.depth >= RENDEZVOUS_RECURSION_MAX) return resume(VERR_DEADLOCK);
  }
  if (mustRunDirect(vm)) return runDirect(emt, flags, callback, inside ? inside.depth + 1 : 0, resume);
  if (inside) {
    const nested = new RendezvousInstance(vm, `${vm.id}/rv.${++vm.rendezvousSeq}`, callback, inside.instance);
    vm.rendezvousStack.push(nested);
    nested.cell.send(beginEvent(flags, vm.cCpus, emt.cpu, inside.depth + 1));
    const frame = new RendezvousFrame(emt, 'caller', nested, flags, callback, resume);
    emt.push(frame);
    vm.notifyAll(); // EMTs waiting in the parent see fRendezvousRecursion and join
    frame.progress(); // the caller enters at once
    return;
  }
  const frame = new RendezvousFrame(emt, 'caller', null, flags, callback, resume);
  emt.push(frame);
  if (frame.canProgress()) frame.progress(); // take the lock now if it is free
}

/** One CPU, or a dying VM with EMTs gone: nobody to meet, the callback runs on the calling EMT alone. */
const mustRunDirect = (vm: VmCore): boolean =>
  vm.cCpus === 1 || (vm.vmState === 'DESTROYING' && vm.cActiveEmts < vm.cCpus);

function runDirect(emt: Emt, flags: number, callback: RendezvousCallback, depth: number, resume: (rc: number) => void): void {
  const direct = new DirectRendezvousFrame(rendezvousTypeOf(flags), depth);
  emt.push(direct);
  emt.runResult(emt.call(() => callback(emt.context()), () => callbackName('rendezvous callback', callback)), (rc) => {
    emt.pop(direct);
    resume(finalStatus(rc));
  });
}

/** The caller's final check (§6.3 step 4). */
function finalStatus(rc: number): number {
  return rc <= 0 || isEmStatus(rc) ? rc : VERR_IPE_UNEXPECTED_INFO_STATUS;
}

type Phase = 'lock' | 'enter' | 'turn' | 'callback' | 'done' | 'doneCaller';

/** One EMT's part in one rendezvous instance, as caller or member. */
export class RendezvousFrame implements Frame {
  phase: Phase;
  /** Informational statuses from rendezvous joined while waiting for the lock (merged into the result). */
  #joined = VINF_SUCCESS;

  /** Informational status collected from rendezvous joined while waiting (part of the checker's state key). */
  get joined(): number {
    return this.#joined;
  }

  constructor(
    readonly emt: Emt,
    readonly role: 'caller' | 'member',
    public instance: RendezvousInstance | null,
    readonly flags: number,
    readonly callback: RendezvousCallback,
    readonly resume: (rc: number) => void,
  ) {
    this.phase = role === 'caller' && !instance ? 'lock' : 'enter';
  }

  get describe(): string {
    return `rendezvous:${this.role}:${this.phase}`;
  }

  canProgress(): boolean {
    const vm = this.emt.vm;
    const cpu = this.emt.cpu;
    switch (this.phase) {
      case 'lock':
        return vm.rendezvousLock === null || this.#outerPending() !== null;
      case 'enter':
        return true;
      case 'turn':
        return this.instance!.mayRun(cpu) || this.#nestedPending() !== null;
      case 'callback':
        return false; // a nested wait sits on top of this frame
      case 'done':
        return this.instance!.doneSignalled || this.#nestedPending() !== null;
      case 'doneCaller':
        return this.instance!.phase === 'finishing' || this.#nestedPending() !== null;
    }
  }

  progress(): void {
    const nested = this.phase === 'turn' || this.phase === 'done' || this.phase === 'doneCaller' ? this.#nestedPending() : null;
    if (nested) {
      // vmmR3EmtRendezvousRecursive seen from a waiting EMT: join the nested one as a non-caller.
      // Its informational status is merged into ours (rcStrictRecursion).
      this.emt.push(
        new RendezvousFrame(this.emt, 'member', nested, nested.ctx.flags, nested.callback, (rc) => {
          this.#joined = mergeStatus(this.#joined, rc);
        }),
      );
      this.emt.top()!.progress();
      return;
    }
    switch (this.phase) {
      case 'lock':
        return this.#lock();
      case 'enter':
        return this.#enter();
      case 'turn':
        return this.#runCallback();
      case 'done':
        return this.#return();
      case 'doneCaller':
        return this.#finish();
      case 'callback':
        return;
    }
  }

  /** The outermost rendezvous is pending and this EMT has not joined it (VMMR3EmtRendezvousFF while spinning). */
  #outerPending(): RendezvousInstance | null {
    const vm = this.emt.vm;
    const lock = vm.rendezvousLock;
    return lock && (vm.ff & VM_FF_EMT_RENDEZVOUS) !== 0 && !lock.entered.has(this.emt.cpu) ? lock : null;
  }

  /** A rendezvous nested inside ours that this EMT has not entered yet. */
  #nestedPending(): RendezvousInstance | null {
    const stack = this.emt.vm.rendezvousStack;
    if (stack.length === 0) return null; // (reading stack[-1] would be a slow named-property lookup)
    const innermost = stack[stack.length - 1]!;
    if (innermost === this.instance || innermost.entered.has(this.emt.cpu)) return null;
    return innermost.ctx.depth > (this.instance?.ctx.depth ?? -1) && innermost.parent !== null ? innermost : null;
  }

  #lock(): void {
    const vm = this.emt.vm;
    if (vm.rendezvousLock !== null) {
      const outer = this.#outerPending()!;
      this.emt.push(
        new RendezvousFrame(this.emt, 'member', outer, outer.ctx.flags, outer.callback, (rc) => {
          this.#joined = mergeStatus(this.#joined, rc);
        }),
      );
      this.emt.top()!.progress();
      return;
    }
    // The VM may have started dying while we waited for the lock (a destroy raced us): VMM.cpp checks for
    // that only before the wait and then waits for EMTs that are gone. Intended fidelity checks again.
    if (vm.host.fidelity !== 'as-written' && mustRunDirect(vm)) {
      this.emt.pop(this);
      const joined = this.#joined;
      return runDirect(this.emt, this.flags, this.callback, 0, (rc) => this.resume(mergeStatus(rc, joined)));
    }
    // We hold u32RendezvousLock: set up, raise VM_FF_EMT_RENDEZVOUS, poke everyone, enter as the caller.
    const instance = new RendezvousInstance(vm, `${vm.id}/rv.${++vm.rendezvousSeq}`, this.callback, null);
    this.instance = instance;
    vm.rendezvousLock = instance;
    vm.rendezvousStack.push(instance);
    instance.cell.send(beginEvent(this.flags, vm.cCpus, this.emt.cpu, 0));
    vm.setFF(VM_FF_EMT_RENDEZVOUS);
    vm.notifyAll(VMNOTIFYFF_FLAGS_POKE);
    this.#enter();
  }

  #enter(): void {
    const instance = this.instance!;
    const vm = this.emt.vm;
    const cpu = this.emt.cpu;
    instance.entered.add(cpu);
    instance.cell.send(enterEvent(cpu));
    const ctx = instance.ctx;
    const isCaller = this.role === 'caller';
    if (instance.phase === 'running') {
      // Last to arrive: clear the flag (outermost only) and signal whoever runs first.
      if (!instance.parent) vm.clearFF(VM_FF_EMT_RENDEZVOUS);
      if (ctx.released) vm.notifyAll();
      else if (ctx.runner !== null && ctx.runner !== cpu) vm.notifyCpu(ctx.runner);
    }
    if (ctx.type === 'once' && ctx.runner !== cpu) {
      // ONCE: non-callers wait on the done event; the caller returns at once and waits on DoneCaller.
      this.phase = isCaller ? 'doneCaller' : 'done';
      return;
    }
    this.phase = 'turn';
  }

  #runCallback(): void {
    const instance = this.instance!;
    const cpu = this.emt.cpu;
    if (instance.ctx.type === 'one-by-one' && instance.ctx.runner !== cpu) instance.cell.send(takeTurnEvent(cpu));
    const ctx = instance.ctx;
    if (ctx.stopOnError && ctx.status < 0) {
      this.#callbackDone(VINF_SUCCESS, false);
      return;
    }
    this.phase = 'callback';
    const callback = instance.callback;
    this.emt.runResult(this.emt.call(() => callback(this.emt.context()), () => callbackName('rendezvous callback', callback)), (rc) => this.#callbackDone(rc, true));
  }

  #callbackDone(rc: number, ran: boolean): void {
    const instance = this.instance!;
    const vm = this.emt.vm;
    instance.cell.send(callbackDoneEvent(this.emt.cpu, rc, ran));
    const ctx = instance.ctx;
    if (instance.doneSignalled) vm.notifyAll();
    else if (ctx.type === 'one-by-one') vm.notifyAll();
    else if (ctx.runner !== null) vm.notifyCpu(ctx.runner);
    this.phase = this.role === 'caller' ? 'doneCaller' : 'done';
  }

  /** A non-caller leaves; the (n-1)th wakes the caller on DoneCaller. */
  #return(): void {
    const instance = this.instance!;
    instance.cell.send(returnEvent(this.emt.cpu));
    if (instance.phase === 'finishing') this.emt.vm.notifyCpu(instance.ctx.caller);
    this.emt.pop(this);
    this.resume(mergeStatus(informationalPart(instance.ctx.status), informationalPart(this.#joined)));
  }

  /** The caller reads the status, drops the lock (or the nesting level) and merges (§6.3 steps 8–9). */
  #finish(): void {
    const instance = this.instance!;
    const vm = this.emt.vm;
    const status = instance.ctx.status;
    instance.cell.send(FINISH);
    vm.rendezvousStack.pop();
    if (!instance.parent && !vm.host.faults?.lockNotReleased) vm.rendezvousLock = null;
    vm.notifyAll();
    this.emt.pop(this);
    let rc = status;
    if (this.#joined !== VINF_SUCCESS) rc = mergeStatus(rc, this.#joined);
    this.resume(finalStatus(rc));
  }
}
