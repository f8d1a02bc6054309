/**
 * EMT rendezvous at run time (VMMR3EmtRendezvous, §6.3–§6.6): the lock, the direct path for one CPU, the
 * recursive path, and each EMT's walk through one rendezvous instance (enter → turn → callback → done →
 * return / finish). The counters and the order live in machines/rendezvous.ts; this file decides when an EMT
 * may take its next step and wakes the EMTs a transition unblocks.
 */
import {
  RENDEZVOUS_RECURSION_MAX, allowsRecursion, informationalPart, mergeStatus, rendezvousTypeOf,
  type RendezvousType, RV_TYPE_MASK, RV_VALID_MASK, RV_STOP_ON_ERROR,
} from '../../machines/rendezvous.js';
import {
  rendezvousMemberMachine, type RendezvousMemberContext, type RendezvousMemberEvent, type RendezvousMemberState, type RendezvousRole,
} from '../../machines/rendezvous-member.js';
import { VERR_DEADLOCK, VERR_INVALID_FLAGS, VERR_IPE_UNEXPECTED_INFO_STATUS, isEmStatus, VINF_SUCCESS } from '../status.js';
import type { EventObject } from 'xstate';
import { MachineCell, type TransitionListener } from '../sched/machine-cell.js';
import { HeldCell, sendHeld, type CellHolder } from '../sched/held-cell.js';
import { beginEvent, callbackDoneEvent, enterEvent, FINISH, joinedEvent, MEMBER, returnEvent, takeTurnEvent } from './rendezvous-events.js';
import type { Emt, Frame } from './emt.js';
import { VM_FF_EMT_RENDEZVOUS, VMNOTIFYFF_FLAGS_POKE } from './ff.js';
import type { RendezvousCallback } from './types.js';
import type { VmCore } from './vm-core.js';
import { callbackName } from './user-callback.js';
import { defineContinuations, keyContinuation, resumeWith, TO_RENDEZVOUS_FRAME, type Continuation } from './continuations.js';
import { RendezvousInstance } from './rendezvous-instance.js';
import { persistable } from '../persist/registry.js';

export { RendezvousInstance };

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
    if (!(frame instanceof RendezvousFrame)) continue;
    if (frame.instance) return { type: frame.instance.ctx.type, depth: frame.instance.ctx.depth, instance: frame.instance };
    if (frame.phase === 'direct') return { type: rendezvousTypeOf(frame.flags), depth: frame.depth, instance: null };
  }
  return null;
}

/** The type of the direct-path rendezvous a frame stands for, or null (the checker's coverage counts these). */
export const directRendezvousType = (frame: Frame | undefined): RendezvousType | null =>
  frame instanceof RendezvousFrame && frame.phase === 'direct' ? rendezvousTypeOf(frame.flags) : null;

/**
 * VMMR3EmtRendezvous on an EMT. Hands a status to `next` right away (bad flags, deadlock) or pushes a frame
 * that will when the rendezvous is over (the direct path included).
 */
export function startRendezvous(emt: Emt, flags: number, callback: RendezvousCallback, next: Continuation): void {
  const vm = emt.vm;
  const bad = checkRendezvousFlags(flags);
  if (bad !== VINF_SUCCESS) return resumeWith(emt, next, bad);
  const inside = innermostOf(emt);
  if (inside) {
    // A rendezvous from inside one: recursion, allowed only under ASC/DESC/ONE_BY_ONE/ONCE and depth < 3.
    if (!allowsRecursion(inside.type) || inside.depth >= RENDEZVOUS_RECURSION_MAX) return resumeWith(emt, next, VERR_DEADLOCK);
  }
  const depth = inside ? inside.depth + 1 : 0;
  const callbackId = vm.functions.add(callback);
  if (mustRunDirect(vm)) {
    const frame = new RendezvousFrame(emt, null, flags, callbackId, next, depth);
    emt.push(frame);
    frame.send(MEMBER.runDirect);
    return frame.runDirect();
  }
  if (inside) {
    const nested = new RendezvousInstance(vm, `${vm.id}/rv.${++vm.rendezvousSeq}`, callbackId, inside.instance);
    vm.rendezvousStack.push(nested);
    nested.send(beginEvent(flags, vm.cCpus, emt.cpu, depth));
    const frame = new RendezvousFrame(emt, nested, flags, callbackId, next, depth);
    emt.push(frame);
    frame.send(MEMBER.joinAsCaller);
    vm.notifyAll(); // EMTs waiting in the parent see fRendezvousRecursion and join
    frame.progress(); // the caller enters at once
    return;
  }
  const frame = new RendezvousFrame(emt, null, flags, callbackId, next, 0);
  emt.push(frame);
  frame.send(MEMBER.waitLock);
  if (frame.canProgress()) frame.progress(); // take the lock now if it is free
}

/** An EMT joins a rendezvous it did not start (the loop's VM_FF_EMT_RENDEZVOUS, or a nested one while waiting). */
export function joinRendezvous(emt: Emt, instance: RendezvousInstance, next: Continuation): void {
  const frame = new RendezvousFrame(emt, instance, instance.ctx.flags, instance.callbackId, next, instance.ctx.depth);
  emt.push(frame);
  frame.send(MEMBER.joinAsMember);
  frame.progress();
}

/** One CPU, or a dying VM with EMTs gone: nobody to meet, the callback runs on the calling EMT alone. */
const mustRunDirect = (vm: VmCore): boolean =>
  vm.cCpus === 1 || (vm.vmState === 'DESTROYING' && vm.cActiveEmts < vm.cCpus);

/** The caller's final check (§6.3 step 4). */
function finalStatus(rc: number): number {
  return rc <= 0 || isEmStatus(rc) ? rc : VERR_IPE_UNEXPECTED_INFO_STATUS;
}

/**
 * The member machine's cell: no listener and no way back to its frame, whose `send` reports the transition
 * (sendHeld; a world copy freezes and shares it, and the frame replaces it then).
 */
class MemberCell extends HeldCell<RendezvousMemberEvent> {}
persistable('MemberCell', MemberCell);

/**
 * One EMT's part in one rendezvous instance, as caller or member, or the direct path: the walk is the
 * rendezvous member machine (machines/rendezvous-member.ts); this frame reads its state to decide when the
 * EMT may step and does each step's side effects on the shared rendezvous.
 */
export class RendezvousFrame implements Frame, CellHolder<RendezvousMemberEvent> {
  readonly kind = 'rendezvous';
  cell: MachineCell<RendezvousMemberEvent>;
  /** Names the member machine (`vm.1/emt.0/rv.3`). */
  private readonly seq: number;

  constructor(
    readonly emt: Emt,
    public instance: RendezvousInstance | null,
    readonly flags: number,
    /** The rendezvous callback, by id in the VM's function table. */
    readonly callbackId: number,
    /** Where the rendezvous' status goes when this EMT leaves it. */
    readonly next: Continuation,
    /** Nesting depth (cRendezvousRecursions) this frame runs at. */
    readonly depth: number,
  ) {
    this.seq = ++emt.rendezvousSeq;
    const vm = emt.vm;
    this.cell = new MemberCell(vm.host.machines?.rendezvousMember ?? rendezvousMemberMachine, `${emt.id}/rv.${this.seq}`);
  }

  /** Send the member machine an event; false when its state refuses it. */
  send(event: RendezvousMemberEvent): boolean {
    return sendHeld(this, event);
  }

  /** A transition taken is the VM's event (when someone wants the detail). */
  cellEdge(cell: MachineCell, from: Parameters<TransitionListener>[1], event: EventObject): void {
    const vm = this.emt.vm;
    if (vm.wantsDetail()) {
      vm.emit({
        kind: 'rendezvous-member', systemId: cell.systemId, machine: 'rendezvousMember', from: from.value as string, to: cell.value,
        event: event.type, cpu: this.emt.cpu, rendezvous: this.instance?.id ?? null, tNs: vm.nowNs(),
      });
    }
  }

  get phase(): RendezvousMemberState {
    return this.cell.value as RendezvousMemberState;
  }

  get role(): RendezvousRole {
    return (this.cell.context as RendezvousMemberContext).role;
  }

  /** Informational status collected from rendezvous joined while waiting (part of the checker's state key). */
  get joined(): number {
    return (this.cell.context as RendezvousMemberContext).joined;
  }

  get describe(): string {
    const phase = this.phase;
    return phase === 'direct' ? `rendezvous:direct:${rendezvousTypeOf(this.flags)}` : `rendezvous:${this.role}:${phase}`;
  }

  canProgress(): boolean {
    const vm = this.emt.vm;
    switch (this.phase) {
      case 'lock':
        return vm.rendezvousLock === null || this.outerPending() !== null;
      case 'enter':
        return true;
      case 'turn':
        return this.instance!.mayRun(this.emt.cpu) || this.nestedPending() !== null;
      case 'done':
        return this.instance!.doneSignalled || this.nestedPending() !== null;
      case 'doneCaller':
        return this.instance!.phase === 'finishing' || this.nestedPending() !== null;
      default:
        return false; // callback / direct: the callback's own waits sit above this frame
    }
  }

  progress(): void {
    const phase = this.phase;
    const nested = phase === 'turn' || phase === 'done' || phase === 'doneCaller' ? this.nestedPending() : null;
    if (nested) return this.join(nested); // vmmR3EmtRendezvousRecursive seen from a waiting EMT
    switch (phase) {
      case 'lock':
        return this.lock();
      case 'enter':
        return this.enter();
      case 'turn':
        return this.runCallback();
      case 'done':
        return this.return();
      case 'doneCaller':
        return this.finish();
      default:
        return;
    }
  }

  /** Join another rendezvous as a non-caller; its informational status is merged into ours (rcStrictRecursion). */
  private join(other: RendezvousInstance): void {
    joinRendezvous(this.emt, other, TO_RENDEZVOUS_FRAME);
  }

  /** A status for this frame (TO_RENDEZVOUS_FRAME): its callback's, the direct path's, or a joined rendezvous'. */
  statusArrived(rc: number): void {
    switch (this.phase) {
      case 'callback':
        return this.callbackDone(rc, true, MEMBER.callbackDone);
      case 'direct':
        return this.directDone(rc);
      default:
        this.send(joinedEvent(rc));
    }
  }

  /** The outermost rendezvous is pending and this EMT has not joined it (VMMR3EmtRendezvousFF while spinning). */
  private outerPending(): RendezvousInstance | null {
    const vm = this.emt.vm;
    const lock = vm.rendezvousLock;
    return lock && (vm.ff & VM_FF_EMT_RENDEZVOUS) !== 0 && !lock.entered.has(this.emt.cpu) ? lock : null;
  }

  /** A rendezvous nested inside ours that this EMT has not entered yet. */
  private nestedPending(): RendezvousInstance | null {
    const stack = this.emt.vm.rendezvousStack;
    if (stack.length === 0) return null; // (reading stack[-1] would be a slow named-property lookup)
    const innermost = stack[stack.length - 1]!;
    if (innermost === this.instance || innermost.entered.has(this.emt.cpu)) return null;
    return innermost.ctx.depth > (this.instance?.ctx.depth ?? -1) && innermost.parent !== null ? innermost : null;
  }

  private lock(): void {
    const vm = this.emt.vm;
    if (vm.rendezvousLock !== null) return this.join(this.outerPending()!);
    // The VM may have started dying while we waited for the lock (a destroy raced us): VMM.cpp checks for
    // that only before the wait and then waits for EMTs that are gone. Intended fidelity checks again.
    if (vm.host.fidelity !== 'as-written' && mustRunDirect(vm)) {
      this.send(MEMBER.goDirect);
      return this.runDirect();
    }
    // We hold u32RendezvousLock: set up, raise VM_FF_EMT_RENDEZVOUS, poke everyone, enter as the caller.
    const instance = new RendezvousInstance(vm, `${vm.id}/rv.${++vm.rendezvousSeq}`, this.callbackId, null);
    this.instance = instance;
    vm.rendezvousLock = instance;
    vm.rendezvousStack.push(instance);
    instance.send(beginEvent(this.flags, vm.cCpus, this.emt.cpu, 0));
    vm.setFF(VM_FF_EMT_RENDEZVOUS);
    vm.notifyAll(VMNOTIFYFF_FLAGS_POKE);
    this.send(MEMBER.acquire);
    this.enter();
  }

  /** The direct path: the callback runs on this EMT alone (the frame stays, in 'direct', while it runs). */
  runDirect(): void {
    const emt = this.emt;
    const callback = emt.vm.functions.get<RendezvousCallback>(this.callbackId);
    emt.runResult(emt.call(() => callback(emt.context()), () => callbackName('rendezvous callback', callback)), TO_RENDEZVOUS_FRAME);
  }

  private directDone(rc: number): void {
    const joined = this.joined;
    this.send(MEMBER.callbackDone);
    this.emt.vm.functions.delete(this.callbackId);
    this.emt.pop(this);
    resumeWith(this.emt, this.next, mergeStatus(finalStatus(rc), joined));
  }

  private enter(): void {
    const instance = this.instance!;
    const vm = this.emt.vm;
    const cpu = this.emt.cpu;
    instance.entered.add(cpu);
    instance.send(enterEvent(cpu));
    const ctx = instance.ctx;
    if (instance.phase === 'running') {
      // Last to arrive: clear the flag (outermost only) and signal whoever runs first.
      if (!instance.parent) vm.clearFF(VM_FF_EMT_RENDEZVOUS);
      if (ctx.released) vm.notifyAll();
      else if (ctx.runner !== null && ctx.runner !== cpu) vm.notifyCpu(ctx.runner);
    }
    // ONCE: non-callers wait on the done event; the caller returns at once and waits on DoneCaller.
    this.send(ctx.type === 'once' && ctx.runner !== cpu ? MEMBER.enterSkippingTurn : MEMBER.enter);
  }

  private runCallback(): void {
    const instance = this.instance!;
    const cpu = this.emt.cpu;
    if (instance.ctx.type === 'one-by-one' && instance.ctx.runner !== cpu) instance.send(takeTurnEvent(cpu));
    const ctx = instance.ctx;
    if (ctx.stopOnError && ctx.status < 0) {
      return this.callbackDone(VINF_SUCCESS, false, MEMBER.skipCallback);
    }
    this.send(MEMBER.runCallback);
    const callback = instance.callback;
    this.emt.runResult(this.emt.call(() => callback(this.emt.context()), () => callbackName('rendezvous callback', callback)), TO_RENDEZVOUS_FRAME);
  }

  /** Count the callback in on the shared rendezvous, signal whoever goes next, then wait for done. */
  private callbackDone(rc: number, ran: boolean, event: RendezvousMemberEvent): void {
    const instance = this.instance!;
    const vm = this.emt.vm;
    instance.send(callbackDoneEvent(this.emt.cpu, rc, ran));
    const ctx = instance.ctx;
    if (instance.doneSignalled) vm.notifyAll();
    else if (ctx.type === 'one-by-one') vm.notifyAll();
    else if (ctx.runner !== null) vm.notifyCpu(ctx.runner);
    this.send(event);
  }

  /** A non-caller leaves; the (n-1)th wakes the caller on DoneCaller. */
  private return(): void {
    const instance = this.instance!;
    instance.send(returnEvent(this.emt.cpu));
    if (instance.phase === 'finishing') this.emt.vm.notifyCpu(instance.ctx.caller);
    this.send(MEMBER.return);
    this.emt.pop(this);
    resumeWith(this.emt, this.next, mergeStatus(informationalPart(instance.ctx.status), informationalPart(this.joined)));
  }

  /** The caller reads the status, drops the lock (or the nesting level) and merges (§6.3 steps 8–9). */
  private finish(): void {
    const instance = this.instance!;
    const vm = this.emt.vm;
    const status = instance.ctx.status;
    instance.send(FINISH);
    vm.rendezvousStack.pop();
    this.send(instance.parent ? MEMBER.finishNested : MEMBER.finishOutermost);
    if ((this.cell.context as RendezvousMemberContext).releaseLock) vm.rendezvousLock = null;
    vm.notifyAll();
    vm.functions.delete(this.callbackId);
    this.emt.pop(this);
    const joined = this.joined;
    resumeWith(this.emt, this.next, finalStatus(joined !== VINF_SUCCESS ? mergeStatus(status, joined) : status));
  }
}

persistable('RendezvousFrame', RendezvousFrame, {
  owned: ['next'],
  history: ['seq'],
  keyFields: { callbackId: (frame, id: number) => frame.emt.vm.functions.peek(id), next: (frame, next: Continuation) => keyContinuation(frame.emt.vm.functions, next) },
});

defineContinuations({ 'rendezvous.frame': (emt, _cont, rc) => (emt.top() as RendezvousFrame).statusArrived(rc) });
