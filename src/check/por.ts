/**
 * Partial-order reduction: in a state where some enabled step commutes with every step any other actor can
 * take from here on, and is invisible to the properties, exploring that step alone (a persistent set of size
 * one) keeps every reachable verdict. The steps that qualify are decided from the world without running
 * anything:
 *
 * - a client issuing its next call: it only creates the call's thread (which has not run yet); no other actor
 *   reads or writes anything it touches, and nothing can disable it;
 * - a stutter step: an actor that is ready but cannot progress (an EMT woken for work another EMT took, a
 *   thread with nothing queued). Its only effect is to leave the ready set. Taking it first drops runs in
 *   which the actor later does real work on a stale wake-up, but every such run is still reachable because
 *   the engine wakes an actor whenever its wait condition becomes true — and an engine that forgets to (a
 *   lost wake-up) then shows up as a deadlock, so the verdict is kept;
 * - an EMT entering the outermost DESCENDING, ASCENDING or ALL_AT_ONCE rendezvous, or a non-caller returning
 *   from the outermost rendezvous: the counters commute (who arrives or leaves last changes nothing for these
 *   types), no other actor reads them (the caller waits for all of them; the loop's higher-priority exit
 *   request cannot be raised while a rendezvous is pending, since EMT(0) must first pass through it), and the
 *   step changes no VM or vCPU state.
 *
 * - a call's thread taking the answer of its completed request (not ALL / ALL_REVERSE, which requeue, nor
 *   destroy and save, which do more): it frees the packet and reports to its client — both private to the
 *   call (packets are named by their call, never by which free-list entry they reuse).
 *
 * ONE_BY_ONE and ONCE run the last arriver's callback first, so their entries are explored in every order.
 * The explorer adds the cycle proviso: when the one successor was already visited, the state is expanded
 * fully. Tests compare verdicts, coverage and end states with and without this reduction.
 */
import { rendezvousTypeOf } from '../../machines/rendezvous.js';
import type { Steppable } from '../sched/scheduler.js';
import { Emt } from '../vmm/emt.js';
import { ExternalThread } from '../vmm/external.js';
import { VM_FF_EMT_RENDEZVOUS } from '../vmm/ff.js';
import { RendezvousFrame } from '../vmm/rendezvous.js';
import { ScenarioClient } from './client.js';
import type { World } from './world.js';

/** Index of a choice that may be explored alone, or -1. */
export function singletonChoice(world: World): number {
  const ready = world.ready();
  if (ready.length + (world.timerChoice() ? 1 : 0) <= 1) return -1;
  let local = -1;
  for (let i = 0; i < ready.length; i++) {
    const actor = ready[i]!;
    if (isStutter(actor)) return i;
    if (local >= 0) continue;
    if (actor instanceof ScenarioClient || (actor instanceof Emt && commutingRendezvousStep(actor))) local = i;
    else if (actor instanceof ExternalThread && isCompletionStep(world, actor)) local = i;
  }
  return local;
}

/** A ready actor whose step changes nothing but its own readiness. */
export function isStutter(actor: Steppable): boolean {
  if (actor instanceof Emt) {
    const top = actor.top();
    if (top) return !top.canProgress();
    // An idle EMT's loop pass may push the halt method's wait frame: that is a real step.
    return actor.state !== 'waiting' || (!actor.canProgress() && actor.hooks.wait === undefined);
  }
  if (actor instanceof ExternalThread) return actor.pendingWork === 0;
  if (actor instanceof ScenarioClient) return actor.pending !== null || actor.position >= actor.spec.calls.length;
  return false;
}

const COMMUTING_ENTRY = new Set(['descending', 'ascending', 'all-at-once']);

/** The EMT's next step enters the outermost rendezvous (of an order-blind type) or returns from it. */
export function commutingRendezvousStep(emt: Emt): boolean {
  const vm = emt.vm;
  const lock = vm.rendezvousLock;
  if (!lock || lock.parent !== null || vm.fTerminateEMT) return false;
  const top = emt.top();
  const pending = (vm.ff & VM_FF_EMT_RENDEZVOUS) !== 0 && !lock.entered.has(emt.cpu);
  if (!top) {
    // The loop's poll picks the rendezvous (nothing outranks it but fTerminateEMT) and enters at once.
    return emt.state === 'waiting' && emt.hooks.wait === undefined && pending && COMMUTING_ENTRY.has(rendezvousTypeOf(lock.ctx.flags));
  }
  if (!(top instanceof RendezvousFrame) || emt.frames.length !== 1) return false;
  if (top.phase === 'lock') return pending && COMMUTING_ENTRY.has(rendezvousTypeOf(lock.ctx.flags)) && top.joined === 0;
  return top.phase === 'done' && top.role === 'member' && top.instance === lock && lock.doneSignalled;
}

/** The thread's one queued step takes the answer of its call's completed request and reports it. */
export function isCompletionStep(world: World, thread: ExternalThread): boolean {
  if (thread.pendingWork !== 1) return false;
  const call = world.labels.threadCall.get(thread);
  if (!call) return false;
  const spec = call.spec;
  if (spec.call === 'destroy' || spec.call === 'save' || spec.call === 'teleport' || spec.call === 'softReset') return false;
  if (spec.call === 'reqCallWait' && (spec.target === 'all' || spec.target === 'all-reverse')) return false;
  let answered = false;
  for (const [req, label] of world.labels.reqs) {
    if (label.call !== call) continue;
    if (req.state !== 'COMPLETED' && req.state !== 'INVALID') return false;
    answered = true;
  }
  return answered;
}
