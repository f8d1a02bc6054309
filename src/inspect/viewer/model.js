// The viewer's model of a trace: inspection records (ours, or the @statelyai/inspect wire form) folded into
// actors and steps. A step is one event delivered to one actor (v5's event → microstep → snapshot, v6's
// transition); the cursor is a step index and every view asks the model what was true at that step.

/** Lanes of the sequence view, by role (client → queue → EMT → rendezvous → VM). */
export function laneOf(actorId) {
  if (/^ext\./.test(actorId)) return 'clients';
  // An EMT's walk through a rendezvous (`vm.1/emt.0/rv.3`) is drawn on its EMT's lane.
  let m = /\/(?:emt|cpu)\.(\d+)(?:\/rv\.\d+)?$/.exec(actorId);
  if (m) return `emt.${m[1]}`;
  if (/\/req\.\d+$/.test(actorId)) return 'queues';
  if (/\/rv\.\d+$/.test(actorId)) return 'rendezvous';
  if (/^vm\.\d+(\/halt)?$/.test(actorId)) return 'vm';
  return 'other';
}

const shortName = (actorId) => actorId.split('/').pop();

export class TraceModel {
  constructor() {
    /** actorId → { id, machine, parentId, rootId, initial, value } */
    this.actors = new Map();
    this.steps = [];
    this.cpuCount = 0;
    this.hasOther = false;
    this.pending = null;
    /** request actorId → the lane of whoever queued it (its completion goes back there). */
    this.requestOwner = new Map();
  }

  /** Add one record; returns true when a step was completed. */
  add(raw) {
    if (!raw || typeof raw !== 'object' || typeof raw.type !== 'string') return false;
    const actorId = raw.actorId ?? raw.sessionId;
    if (typeof actorId !== 'string') return false;
    // Our records carry GIP time; Stately's own events only a wall-clock createdAt (ms): time from the first.
    let tNs = raw.tNs;
    if (typeof tNs !== 'number') {
      const ms = Number(raw.createdAt) || 0;
      this.t0Ms ??= ms;
      tNs = (ms - this.t0Ms) * 1e6;
    }
    const base = { actorId, tNs, rootId: raw.rootId ?? actorId, sourceId: raw.sourceId ?? undefined };
    const before = this.steps.length;
    switch (raw.type) {
      case '@xstate.actor':
        this.flush();
        this.#actor(actorId, raw);
        break;
      case '@xstate.event':
        this.flush();
        this.pending = { ...base, event: raw.event ?? { type: '?' } };
        break;
      case '@xstate.microstep':
        if (this.pending && this.pending.actorId === actorId) this.pending.transitions = raw.transitions ?? raw._transitions;
        break;
      case '@xstate.snapshot': {
        const p = this.pending && this.pending.actorId === actorId ? this.pending : { ...base, event: raw.event ?? { type: '?' } };
        this.pending = null;
        this.#step(p, raw.snapshot);
        break;
      }
      case '@xstate.transition':
        this.flush();
        if ((raw.transitions ?? []).length === 0) this.#step({ ...base, event: raw.event }, undefined);
        else this.#step({ ...base, event: raw.event, transitions: raw.transitions }, raw.snapshot);
        break;
      default:
        return false;
    }
    return this.steps.length > before;
  }

  /** An event nobody's snapshot followed: a signal (an error reported to the VM). */
  flush() {
    const p = this.pending;
    this.pending = null;
    if (p) this.#step(p, undefined);
  }

  #actor(actorId, raw) {
    const known = this.actors.get(actorId);
    if (known) {
      // Announced again: a new actor under a recycled id (GVMM reuses VM handles).
      if (raw.snapshot) known.value = raw.snapshot.value;
      return known;
    }
    let machine = raw.machine;
    if (!machine && typeof raw.definition === 'string') {
      try {
        machine = JSON.parse(raw.definition).id;
      } catch {
        machine = undefined;
      }
    }
    const value = raw.snapshot?.value ?? '';
    const actor = { id: actorId, machine, parentId: raw.parentId, rootId: raw.rootId ?? actorId, initial: value, value };
    this.actors.set(actorId, actor);
    const lane = laneOf(actorId);
    const cpu = /^emt\.(\d+)$/.exec(lane);
    if (cpu) this.cpuCount = Math.max(this.cpuCount, Number(cpu[1]) + 1);
    if (lane === 'other') this.hasOther = true;
    return actor;
  }

  #step(p, snapshot) {
    const actor = this.actors.get(p.actorId) ?? this.#actor(p.actorId, { rootId: p.rootId });
    if (p.sourceId && !this.actors.has(p.sourceId)) this.#actor(p.sourceId, {});
    const from = actor.value;
    const to = snapshot ? snapshot.value : from;
    actor.value = to;
    const step = {
      index: this.steps.length, actorId: p.actorId, rootId: p.rootId, machine: actor.machine, sourceId: p.sourceId,
      event: p.event ?? { type: '?' }, from, to, tNs: p.tNs, context: snapshot?.context, signal: !snapshot,
      transitions: p.transitions ?? [],
    };
    step.message = this.#message(step);
    this.steps.push(step);
  }

  /** Where the step goes in the sequence view: an arrow between two lanes, or a note on one. */
  #message(step) {
    const target = laneOf(step.actorId);
    const source = step.sourceId ? laneOf(step.sourceId) : target;
    const name = shortName(step.actorId);
    const type = step.event.type;
    let from = source;
    let to = target;
    let label = `${name} ${type}`;
    let category = 'other';
    switch (step.machine) {
      case 'request':
        category = 'request';
        if (type === 'queue') {
          this.requestOwner.set(step.actorId, source);
          label = `${name} → ${step.event.queue ?? ''}`;
        } else if (type === 'process') {
          from = 'queues';
          to = source;
        } else if (type === 'complete') {
          to = this.requestOwner.get(step.actorId) ?? 'queues';
        } else {
          to = source;
        }
        break;
      case 'rendezvous':
        category = 'rendezvous';
        label = `${name} ${type}${step.event.cpu === undefined ? '' : ` (EMT ${step.event.cpu})`}`;
        break;
      case 'vm':
        if (step.signal && type === 'log') {
          // A context line of an observed VBox.log (pause reason, save target …): the VM's, not an error.
          category = 'vm';
          label = `${step.actorId} line ${step.event.line}: ${step.event.detail ?? ''}`;
          break;
        }
        category = step.signal ? 'error' : 'vm';
        label = step.signal ? `${step.actorId} ${type} ${step.event.rc ?? ''}` : `${step.actorId}: ${step.from} → ${step.to}`;
        break;
      case 'vmcpu':
        category = step.from === 'STOPPED' || step.to === 'STOPPED' ? 'vcpu' : 'vcpu-exec';
        label = `${name} ${step.to}`;
        from = to = target;
        break;
      case 'emt':
        category = 'emt-loop';
        label = `→ ${step.to}`;
        from = to = target;
        break;
      default:
        if (step.signal) category = 'error';
    }
    return { from, to, label, category };
  }

  /** The step that last moved `actorId` at or before `cursor`, or null. */
  lastStepOf(actorId, cursor) {
    for (let i = Math.min(cursor, this.steps.length - 1); i >= 0; i--) {
      const s = this.steps[i];
      if (s.actorId === actorId && !s.signal) return s;
    }
    return null;
  }

  /** The actor's state at `cursor` (-1: before the first step). */
  valueAt(actorId, cursor) {
    const step = this.lastStepOf(actorId, cursor);
    return step ? step.to : (this.actors.get(actorId)?.initial ?? '');
  }

  /** The last step ≤ cursor on an actor of `machine` that `accept` lets through. */
  latestOfMachine(machine, cursor, accept) {
    for (let i = Math.min(cursor, this.steps.length - 1); i >= 0; i--) {
      const s = this.steps[i];
      if (s.machine === machine && accept(s)) return s;
    }
    return null;
  }

  lanes() {
    const lanes = ['clients', 'queues'];
    for (let cpu = 0; cpu < Math.max(this.cpuCount, 1); cpu++) lanes.push(`emt.${cpu}`);
    lanes.push('rendezvous', 'vm');
    if (this.hasOther) lanes.push('other');
    return lanes;
  }

  /** The last step at or before `tNs` (-1 when time has not reached the first one). */
  stepAtTime(tNs) {
    let found = -1;
    for (const s of this.steps) {
      if (s.tNs > tNs) break;
      found = s.index;
    }
    return found;
  }
}

/** Does the step pass the actor filter: '' (all), an actor id, or `root/*` (a VM and everything in it)? */
export function matchesActor(step, filter) {
  if (!filter) return true;
  if (filter.endsWith('/*')) {
    const root = filter.slice(0, -2);
    return step.rootId === root || step.actorId === root || step.actorId.startsWith(`${root}/`);
  }
  return step.actorId === filter || step.sourceId === filter;
}
