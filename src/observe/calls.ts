/**
 * The API calls a log implies: each state change that starts a VMR3* call becomes one call (with the logged
 * reason, status or error id), the changes after it up to the next start are that call's own steps. A log cut
 * mid-life gets a lead-in: the shortest path of machines/vm.ts from CREATING to where the excerpt starts, so
 * a fresh VM can be brought there before the observed part is compared.
 */
import { VM_API_TRANSITIONS, vmEdges, type VmApi } from '../../machines/vm.js';
import { statusByName, VERR_GENERAL_FAILURE } from '../status.js';
import type { ResumeReason, SuspendReason } from '../vmm/lifecycle.js';
import type { LogStateChange } from './parser.js';

export type ObservedCall =
  | { api: 'create' | 'powerOn' | 'reset' | 'softReset' | 'powerOff' | 'destroy' | 'setGuruMeditation' | 'liveSave' }
  | { api: 'suspend'; reason: SuspendReason }
  | { api: 'resume'; reason: ResumeReason }
  | { api: 'save'; failWith?: { rc: number; logged: string | null } }
  | { api: 'loadFromFile'; fails: boolean }
  | { api: 'setRuntimeError'; fatal: boolean; errorId: string };

export interface PlannedCall {
  call: ObservedCall;
  /** The change that starts it (line 0: lead-in, not in the log). */
  line: number;
  tNs: number;
}

export interface CallPlan {
  calls: PlannedCall[];
  /** Changes the engine must make before the log's first one (empty when the log starts at CREATING). */
  leadIn: LogStateChange[];
  /** A change no public API call explains: the engine cannot reproduce the path past it. */
  unreproducible?: LogStateChange;
}

/** Console's pause/resume reasons (Reason_*) as VMR3Suspend / VMR3Resume get them. */
const SUSPEND_BY_LOG: Record<string, SuspendReason> = { 'host suspend': 'HOST_SUSPEND', 'host battery low': 'HOST_BATTERY_LOW' };
const RESUME_BY_LOG: Record<string, ResumeReason> = { 'host resume': 'HOST_RESUME', snapshot: 'STATE_SAVED' };

/** Which VM.cpp transition lists a call walks (its later changes must be on them). */
const LISTS: Record<ObservedCall['api'], readonly VmApi[]> = {
  create: ['VMR3Create'], powerOn: ['VMR3PowerOn'], suspend: ['VMR3Suspend'], resume: ['VMR3Resume'],
  reset: ['VMR3Reset'], softReset: ['VMR3SoftReset'], powerOff: ['VMR3PowerOff'], destroy: ['VMR3Destroy'],
  save: ['VMR3Save'], liveSave: ['VMR3Save', 'vmR3LiveDoSuspend', 'vmR3LiveDoStep2', 'vmR3LiveDoStep1Cleanup', 'VMR3Suspend'],
  loadFromFile: ['VMR3LoadFromFile'], setGuruMeditation: ['VMR3SetGuruMeditation'],
  setRuntimeError: ['VMSetRuntimeErrorFatal', 'VMSetRuntimeErrorSuspend'],
};
const onList = (api: ObservedCall['api'], c: LogStateChange) =>
  LISTS[api].some((list) => VM_API_TRANSITIONS[list].some(([from, to]) => from === c.from && to === c.to));

/** The call a change starts, or null when it is a step of the call before. */
function callStartedBy(c: LogStateChange, changes: readonly LogStateChange[], i: number): ObservedCall | null {
  const edge = `${c.from}>${c.to}`;
  switch (edge) {
    case 'CREATING>CREATED': return { api: 'create' };
    case 'CREATED>POWERING_ON': return { api: 'powerOn' };
    case 'CREATED>LOADING':
    case 'SUSPENDED>LOADING': return { api: 'loadFromFile', fails: changes[i + 1]?.to === 'LOAD_FAILURE' };
    case 'RUNNING>SUSPENDING':
      if (c.by?.kind === 'runtime-error') return { api: 'setRuntimeError', fatal: false, errorId: c.by.detail };
      return { api: 'suspend', reason: (c.by?.kind === 'pause' && SUSPEND_BY_LOG[c.by.detail]) || 'USER' };
    case 'SUSPENDED>RESUMING': return { api: 'resume', reason: resumeReason(c, changes[i - 1]) };
    case 'SUSPENDED>SAVING': return saveCall(changes[i + 1]);
    case 'RUNNING>RUNNING_LS': return { api: 'liveSave' };
    case 'RUNNING>RESETTING':
    case 'SUSPENDED>RESETTING': return { api: 'reset' };
    case 'RUNNING>SOFT_RESETTING':
    case 'SUSPENDED>SOFT_RESETTING': return { api: 'softReset' };
    case 'OFF>DESTROYING': return { api: 'destroy' };
    case 'RUNNING>GURU_MEDITATION': return { api: 'setGuruMeditation' };
    case 'RUNNING>FATAL_ERROR': return { api: 'setRuntimeError', fatal: true, errorId: c.by?.detail ?? 'FatalError' };
    default:
      return c.to === 'POWERING_OFF' || c.to === 'POWERING_OFF_LS' ? { api: 'powerOff' } : null;
  }
}

function resumeReason(c: LogStateChange, prev: LogStateChange | undefined): ResumeReason {
  const logged = c.by?.kind === 'resume' ? RESUME_BY_LOG[c.by.detail] : undefined;
  if (logged) return logged;
  // Console resumes a restored VM with STATE_RESTORED and says nothing about it.
  return prev?.from === 'LOADING' ? 'STATE_RESTORED' : 'USER';
}

/** A save whose SAVING -> SUSPENDED has no "Successfully saved" line failed: replay it with the logged status. */
function saveCall(end: LogStateChange | undefined): ObservedCall {
  if (!end || end.to !== 'SUSPENDED' || end.by?.kind === 'saved') return { api: 'save' };
  const logged = end.by?.kind === 'save-failed' ? end.by.detail : null;
  const rc = logged?.startsWith('rc=') ? Number(logged.slice(3)) : logged ? (statusByName(logged)?.rc ?? VERR_GENERAL_FAILURE) : VERR_GENERAL_FAILURE;
  return { api: 'save', failWith: { rc: rc < 0 ? rc : VERR_GENERAL_FAILURE, logged } };
}

/** Shortest path of the machine from CREATING to `state` (breadth-first over vmEdges()). */
export function pathFromCreating(state: string): string[] | null {
  const next = new Map<string, string[]>();
  for (const e of vmEdges()) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const prev = new Map<string, string>([['CREATING', '']]);
  const queue = ['CREATING'];
  while (queue.length > 0) {
    const s = queue.shift()!;
    if (s === state) break;
    for (const t of next.get(s) ?? []) {
      if (!prev.has(t)) {
        prev.set(t, s);
        queue.push(t);
      }
    }
  }
  if (!prev.has(state)) return null;
  const path = [state];
  while (path[0] !== 'CREATING') path.unshift(prev.get(path[0]!)!);
  return path;
}

export function planCalls(observed: readonly LogStateChange[]): CallPlan {
  const first = observed[0];
  const leadIn: LogStateChange[] = [];
  if (first && first.from !== 'CREATING') {
    const path = pathFromCreating(first.from) ?? [];
    for (let i = 1; i < path.length; i++) leadIn.push({ line: 0, tNs: first.tNs, from: path[i - 1]!, to: path[i]! });
  }
  const changes = [...leadIn, ...observed];
  const calls: PlannedCall[] = [];
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i]!;
    const started = callStartedBy(c, changes, i);
    if (started) calls.push({ call: started, line: c.line, tNs: c.tNs });
    else if (calls.length === 0 || !onList(calls[calls.length - 1]!.call.api, c)) return { calls, leadIn, unreproducible: c };
  }
  return { calls, leadIn };
}
