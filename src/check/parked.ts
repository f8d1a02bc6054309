/**
 * The choice signature of a world: what its choice indices mean, now and after any steps.
 *
 * The table records choices as indices into a world's ready actors, and their order is not part of the state
 * key: the scheduler lists actors in registration order, and call threads register when their calls start, so
 * two worlds in one state can number the same actor differently. The signature is the ready actors' fairness
 * slots in choice order, then every call thread of the run so far in registration order (a thread can be readied
 * again after its call returned, by a late request completion). Worlds with the same key and signature take every
 * choice to the same successor (as far as the key is complete, which the key audit checks), with the same
 * signature, so one can stand in for the other (the workers' parked worlds: explore-worker.ts).
 * The single-threaded searches need no signature: they expand every state from the world that discovered it, or
 * a copy of it, so every world at a state has taken the table's own path (kept-worlds.ts).
 */
import type { World } from './world.js';

/** What each choice index refers to, now and after any steps: see the header. */
export function choiceSignature(world: World): string {
  let signature = world.timerChoice() ? 'T' : '';
  for (let i = 0; i < world.ready().length; i++) signature += String.fromCharCode(48 + world.actorSlot(i));
  signature += '|';
  for (const call of world.labels.threadCall.values()) signature += `${call.label},`;
  return signature;
}

/**
 * Whether two worlds have one choice signature (choiceSignature(a) === choiceSignature(b)) without building
 * either string: breadth-first search asks at every step into a waiting state (kept-worlds.ts), and the strings
 * were garbage made per transition.
 */
export function sameChoices(a: World, b: World): boolean {
  if (a.timerChoice() !== b.timerChoice()) return false;
  const n = a.ready().length;
  if (b.ready().length !== n) return false;
  for (let i = 0; i < n; i++) if (a.actorSlot(i) !== b.actorSlot(i)) return false;
  const calls = a.labels.threadCall;
  const others = b.labels.threadCall;
  if (calls.size !== others.size) return false;
  const mine = calls.values();
  const theirs = others.values();
  for (let call = mine.next(); !call.done; call = mine.next()) if (call.value.labelId !== theirs.next().value!.labelId) return false;
  return true;
}
