/**
 * A scenario client as an actor: it issues the next call of its script when the scheduler steps it, so "client
 * A issues its next call" is a choice like any EMT step. Each call runs as the engine's own Operation on a new
 * external thread (`ext.N`); the client is ready again when that call reports its status.
 */
import type { Steppable } from '../sched/scheduler.js';
import { isVBoxError } from '../status.js';
import type { ExternalThread, OperationDone } from '../vmm/external.js';
import { intern, type CallRef } from './labels.js';
import { persistable } from '../persist/registry.js';
import { EMPTY_LIST } from '../persist/empty-list.js';
import type { ClientSpec } from './scenario.js';

/** What the world does around a client's calls (labels, monitors, trace records). */
export interface ClientHost {
  startCall(client: ScenarioClient, call: CallRef): ExternalThread | null;
  /** The call's operation reported (its status, or the error its first step threw). */
  callDone(client: ScenarioClient, call: CallRef, result: number | Error): void;
  endCall(client: ScenarioClient, call: CallRef, result: number | Error): void;
}

export class ScenarioClient implements Steppable, OperationDone {
  readonly id: string;
  /** Index of the next call to issue. */
  position = 0;
  /** The call in flight and its thread. */
  pending: CallRef | null = null;
  thread: ExternalThread | null = null;
  /** Status of each finished call, in order. */
  results: readonly number[] = EMPTY_LIST;

  constructor(
    readonly index: number,
    readonly spec: ClientSpec,
    readonly host: ClientHost,
  ) {
    this.id = `client.${spec.name}`;
  }

  get done(): boolean {
    return this.position >= this.spec.calls.length && this.pending === null;
  }

  step(): void {
    if (this.pending || this.position >= this.spec.calls.length) return;
    const index = this.position;
    const label = `${this.spec.name}#${index}`;
    // Frozen data (its spec is the frozen scenario's): every world copy shares it.
    const call: CallRef = Object.freeze({ client: this.spec.name, clientIndex: this.index, index, spec: this.spec.calls[index]!, label, labelId: intern(label) });
    this.pending = call;
    this.thread = this.host.startCall(this, call);
  }

  /**
   * The pending call's operation reported: the client is its operation's receiver (a record, so a world copy
   * binds nothing again), and it issues one call at a time, so the report is the pending call's.
   */
  operationDone(result: number | Error): void {
    this.host.callDone(this, this.pending!, result);
  }

  /** The call's status arrived (inside some actor's step). */
  finish(call: CallRef, result: number | Error): void {
    this.pending = null;
    this.thread = null;
    // Replaced, never changed (frozen numbers): every world copy shares it.
    this.results = Object.freeze([...this.results, typeof result === 'number' ? result : isVBoxError(result) ? result.rc : Number.NaN]);
    this.position = call.index + 1;
    this.host.endCall(this, call, result);
  }
}

persistable('ScenarioClient', ScenarioClient, { history: ['schedOrdinal'], owned: ['results'] });
