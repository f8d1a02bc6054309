/**
 * A worker's expansions on the wire (parallel.ts, explore-worker.ts). Sent as objects, every transition was a
 * structured-clone record with its field names spelled out, which cost the worker about a quarter of its CPU
 * and the main thread as much again to read. Instead a reply carries one array of numbers (transferred, not
 * copied): per expansion its index, flags, choice count and step count, then per step its numbers and coverage
 * ids; what is rare (violations, outcomes, packed worlds, a reduced state's world, own paths) travels beside
 * it as objects, keyed by position. The main thread reads it back into the same Expansion and StepFacts.
 */
import type { Expansion, StepFacts, WorkReply } from './explore-worker.js';

/** What a step has beside its numbers (absent from most). */
type StepExtra = Pick<StepFacts, 'violation' | 'terminalViolation' | 'outcome' | 'world' | 'own'>;

/** Expansions as numbers and sparse extras: `rests` and `extras` by expansion and by step position; the held children's signatures in order. */
export interface WireExpansions {
  numbers: Float64Array;
  rests: [number, NonNullable<Expansion['rest']>][];
  extras: [number, StepExtra][];
  signatures: string[];
}

const REDUCED = 1;
const HOT = 1;
const TERMINAL = 2;
const SIGNED = 4;

export function encodeExpansions(expansions: readonly Expansion[]): WireExpansions {
  let size = 0;
  for (const e of expansions) {
    size += 4;
    for (const step of e.steps) size += 9 + step.coverage.length;
  }
  const numbers = new Float64Array(size);
  const rests: WireExpansions['rests'] = [];
  const extras: WireExpansions['extras'] = [];
  const signatures: string[] = [];
  let at = 0;
  let position = 0;
  for (const [k, e] of expansions.entries()) {
    numbers[at++] = e.index;
    numbers[at++] = e.reduced ? REDUCED : 0;
    numbers[at++] = e.all;
    numbers[at++] = e.steps.length;
    if (e.rest) rests.push([k, e.rest]);
    for (const s of e.steps) {
      numbers[at++] = s.choice;
      numbers[at++] = s.hi;
      numbers[at++] = s.lo;
      numbers[at++] = s.slot;
      numbers[at++] = s.enabled;
      numbers[at++] = (s.hot ? HOT : 0) | (s.terminal ? TERMINAL : 0) | (s.signature !== undefined ? SIGNED : 0);
      if (s.signature !== undefined) signatures.push(s.signature);
      numbers[at++] = s.ticket;
      numbers[at++] = s.coverage.length;
      for (const id of s.coverage) numbers[at++] = id;
      numbers[at++] = position;
      if (s.violation || s.terminalViolation || s.outcome !== null || s.world || s.own) {
        extras.push([position, { violation: s.violation, terminalViolation: s.terminalViolation, outcome: s.outcome, world: s.world, ...(s.own ? { own: s.own } : {}) }]);
      }
      position++;
    }
  }
  return { numbers, rests, extras, signatures };
}

export function decodeExpansions({ numbers, rests, extras, signatures }: WireExpansions): Expansion[] {
  const rest = new Map(rests);
  const extra = new Map(extras);
  const expansions: Expansion[] = [];
  let at = 0;
  let signed = 0;
  while (at < numbers.length) {
    const index = numbers[at++]!;
    const reduced = (numbers[at++]! & REDUCED) !== 0;
    const all = numbers[at++]!;
    const count = numbers[at++]!;
    const steps: StepFacts[] = [];
    for (let i = 0; i < count; i++) {
      const choice = numbers[at++]!;
      const hi = numbers[at++]!;
      const lo = numbers[at++]!;
      const slot = numbers[at++]!;
      const enabled = numbers[at++]!;
      const flags = numbers[at++]!;
      const ticket = numbers[at++]!;
      const coverage = Array.from(numbers.subarray(at + 1, at + 1 + numbers[at]!));
      at += 1 + coverage.length;
      const x = extra.get(numbers[at++]!);
      steps.push({
        choice, hi, lo, slot, enabled, hot: (flags & HOT) !== 0, terminal: (flags & TERMINAL) !== 0, ticket, coverage,
        violation: x?.violation ?? null, terminalViolation: x?.terminalViolation ?? null, outcome: x?.outcome ?? null, world: x?.world ?? null, ...(x?.own ? { own: x.own } : {}),
        ...(flags & SIGNED ? { signature: signatures[signed++]! } : {}),
      });
    }
    const r = rest.get(expansions.length);
    expansions.push({ index, reduced, all, steps, ...(r ? { rest: r } : {}) });
  }
  return expansions;
}

/** A reply as sent: its expansions on the wire. */
export type WireReply = Omit<WorkReply, 'expansions'> & { wire: WireExpansions };

export function toWire({ expansions, ...rest }: WorkReply): WireReply {
  return { ...rest, wire: encodeExpansions(expansions) };
}

export function fromWire({ wire, ...rest }: WireReply): WorkReply {
  return { ...rest, expansions: decodeExpansions(wire) };
}

/** The buffers a reply hands over to the main thread rather than copies: its numbers and packed worlds. */
export function wireTransfers(reply: WireReply): ArrayBuffer[] {
  const list: ArrayBuffer[] = [reply.wire.numbers.buffer as ArrayBuffer, ...(reply.packed ?? []).map((bytes) => bytes.buffer as ArrayBuffer)];
  for (const [, rest] of reply.wire.rests) if (rest.world) list.push(rest.world.buffer as ArrayBuffer);
  for (const [, extra] of reply.wire.extras) if (extra.world) list.push(extra.world.buffer as ArrayBuffer);
  return list;
}
