/**
 * The built-in monitors judge event streams no correct engine produces, so these are fed by hand. Goal: each
 * monitor fails with its exact message on the broken stream and stays quiet on the correct one. Method: a
 * stub context (a fake view and a fail() that records), table-driven streams.
 */
import { describe, expect, it } from 'vitest';
import { requestOnce } from '../../src/check/invariants/request-once.js';
import { vmstateEdge } from '../../src/check/invariants/vmstate-edge.js';
import type { MonitorContext, PropertyDef } from '../../src/check/property.js';
import type { VmTraceEvent } from '../../src/vmm/vm-core.js';
import { VERR_VM_REQUEST_STATUS_STILL_PENDING } from '../../src/status.js';

function feed(def: PropertyDef, events: VmTraceEvent[], opts: { vmState?: string; status?: number; terminal?: boolean } = {}): string[] {
  const failures: string[] = [];
  const req = { id: 7, status: opts.status ?? 0, target: 'any', state: 'QUEUED' };
  const ctx = {
    view: {
      vmState: opts.vmState ?? 'RUNNING',
      world: { labels: { reqById: new Map([[7, req]]), reqName: () => 'A#0.0' } },
    },
    fail: (property: string, message: string) => failures.push(`${property}: ${message}`),
  } as unknown as MonitorContext;
  const monitor = def.create();
  // One step that emits all the events; the stub's VM state is the state after it.
  for (const event of events) monitor.onEvent?.(event, ctx);
  monitor.afterStep?.(ctx, true);
  if (opts.terminal) monitor.atTerminal?.(ctx);
  return failures;
}

const state = (from: string, to: string) => ({ kind: 'state', from, to, event: 'powerOn', by: 'emt.0', tNs: 0 }) as unknown as VmTraceEvent;
const request = (from: string, to: string) => ({ kind: 'request', id: 7, from, to, target: 'any', cpu: null, tNs: 0 }) as unknown as VmTraceEvent;

describe('vmstate-edge (vmR3ValidateStateTransition)', () => {
  it.each([
    ['a legal walk', [state('CREATING', 'CREATED'), state('CREATED', 'POWERING_ON'), state('POWERING_ON', 'RUNNING')], 'RUNNING', []],
    ['an edge outside the table', [state('CREATING', 'CREATED'), state('CREATED', 'RUNNING')], 'RUNNING', ['vmstate-edge: VMSTATE CREATED -> RUNNING by emt.0 is not an edge of the reference table (from CREATED: LOADING, POWERING_ON, POWERING_OFF)']],
    ['a code-only reset edge after a reset from RUNNING', [state('CREATING', 'CREATED'), state('CREATED', 'POWERING_ON'), state('POWERING_ON', 'RUNNING'), state('RUNNING', 'RESETTING'), state('RESETTING', 'SUSPENDED')], 'SUSPENDED', ['vmstate-edge: VMSTATE RESETTING -> SUSPENDED by emt.0: this code-only edge is taken only when the reset started SUSPENDED, but it started RUNNING']],
    ['a state change without its event', [state('CREATING', 'CREATED')], 'RUNNING', ['vmstate-edge: the VM is in RUNNING but the last VMSTATE change was to CREATED: a state change without its event']],
  ] as const)('%s', (_name, events, vmState, expected) => {
    expect(feed(vmstateEdge, [...events], { vmState })).toEqual(expected);
  });
});

describe('request-once (vmR3ReqProcessOne)', () => {
  it.each([
    ['one completion, then freed', [request('ALLOCATED', 'QUEUED'), request('QUEUED', 'PROCESSING'), request('PROCESSING', 'COMPLETED'), request('COMPLETED', 'FREE')], {}, []],
    ['completed twice', [request('ALLOCATED', 'QUEUED'), request('QUEUED', 'PROCESSING'), request('PROCESSING', 'COMPLETED'), request('COMPLETED', 'COMPLETED')], {}, ['request-once: request A#0.0 (target any) completed 2 times']],
    ['completed without a status', [request('ALLOCATED', 'QUEUED'), request('QUEUED', 'PROCESSING'), request('PROCESSING', 'COMPLETED')], { status: VERR_VM_REQUEST_STATUS_STILL_PENDING }, ['request-once: request A#0.0 completed without a status (VERR_VM_REQUEST_STATUS_STILL_PENDING)']],
    ['freed before completing', [request('ALLOCATED', 'QUEUED'), request('QUEUED', 'FREE')], {}, ['request-once: request A#0.0 was freed before it completed']],
    ['left queued when the run ends', [request('ALLOCATED', 'QUEUED')], { terminal: true }, ['request-once: request A#0.0 (target any) never completed: the run ended with it QUEUED']],
  ] as const)('%s', (_name, events, opts, expected) => {
    expect(feed(requestOnce, [...events], opts)).toEqual(expected);
  });
});
