/**
 * Properties are observers (P's spec monitors): they watch the engine's event stream (VmCore.listeners, the
 * same events as vm.events$) and the client calls, keep their own small state, and report a violation with a
 * fixed message. A monitor's state is part of the world's state key, so two worlds are merged only when their
 * monitors agree too.
 */
import type { VmTraceEvent } from '../vmm/vm-core.js';
import type { CallRef } from './labels.js';
import type { KeyWriter } from './key-writer.js';
import type { WorldView } from './view.js';

/** A failed property: the name and the text `replay` prints again. */
export interface Violation {
  readonly property: string;
  readonly message: string;
}

/** What a monitor may read and how it reports. */
export interface MonitorContext {
  readonly view: WorldView;
  fail(property: string, message: string): void;
}

export interface Monitor {
  readonly name: string;
  /** The VM exists (CREATED); called once per world, before the first explored step. */
  start?(ctx: MonitorContext): void;
  onEvent?(event: VmTraceEvent, ctx: MonitorContext): void;
  /** The event kinds onEvent wants (default: all); the world routes each event only to the monitors asking for it. */
  readonly events?: readonly VmTraceEvent['kind'][];
  /** A client call's thread took its first step (the call is in the engine from here on). */
  onCallStart?(call: CallRef, ctx: MonitorContext): void;
  onCallEnd?(call: CallRef, rc: number, ctx: MonitorContext): void;
  /** After every step: state invariants. `changed` says whether any VM or vCPU state moved in the step. */
  afterStep?(ctx: MonitorContext, changed: boolean): void;
  /** At a terminal state (nothing can step, no timer): what must be true at the end of every run. */
  atTerminal?(ctx: MonitorContext): void;
  /** The monitor's own state, for the state key; CPU numbers go through `cpu` (symmetry's renaming). */
  encode?(key: KeyWriter, cpu: (c: number) => number): void;
}

/** A built-in property: a name, the fact it enforces, and a fresh monitor per world. */
export interface PropertyDef {
  readonly name: string;
  readonly description: string;
  create(): Monitor;
}

/** A user invariant: a plain function over a read-only view; true (or undefined) holds, a string is the failure. */
export interface UserInvariant {
  readonly name: string;
  holds(view: WorldView): boolean | string | undefined | void;
}
