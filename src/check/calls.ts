/**
 * A scenario call as the engine's own Operation (src/vmm/operations.ts): the checker's clients run exactly
 * what the promise facade runs, so a checked interleaving is a runtime interleaving. Callbacks of reqCallWait
 * and emtRendezvous are tiny pure functions returning the scenario's statuses; a save or a teleport counts its
 * bytes, a load reads an image made before exploration (images.ts). Adding
 * an API to scenarios is one case here (and its name in scenario.ts).
 */
import { vmOps } from '../vmm/operations.js';
import type { Operation } from '../vmm/external.js';
import type { ReqPool } from '../vmm/requests.js';
import type { EmtContext } from '../vmm/types.js';
import type { ResumeReason, SuspendReason } from '../vmm/lifecycle.js';
import { VINF_SUCCESS } from '../status.js';
import type { CallSpec } from './scenario.js';
import { CountingSink } from '../ssm/sinks.js';
import { MemorySource } from '../ssm/sources.js';
import { loadFromFileOp } from '../ssm/live/vm-load.js';
import { scenarioImage } from './images.js';
import { bindCode, defineCodes } from '../persist/registry.js';

/** Who sees every run of a call's callback (the world: coverage of the direct rendezvous path). */
export interface CallbackHost {
  onCallback(ctx: EmtContext): void;
}

/** What the callback of a scenario call returns on a CPU. */
export const callbackStatus = (spec: CallSpec, cpu: number): number => spec.statusOn?.[cpu] ?? spec.status ?? VINF_SUCCESS;

/**
 * VMR3Save / VMR3Teleport as scenarios run them: no file is written, no socket opened, and the bytes are only
 * counted (nothing reads them; a world that kept them would copy them with every copy of itself).
 */
function saveOp(pool: ReqPool, op: 'save' | 'teleport'): Operation {
  return vmOps[op](pool, codes.countingSink, { maxDowntimeMs: 250 });
}

/**
 * VMR3LoadFromFile of a saved running VM, or the teleport target's VMR3LoadFromStream (fTeleporting) of a
 * teleport stream: the image of this VM's vCPU count, read from memory on EMT(0).
 */
function loadOp(pool: ReqPool, teleporting: boolean): Operation {
  const image = scenarioImage(pool.vm.cCpus, teleporting ? 'teleport' : 'file');
  const source = new MemorySource(image, { asFile: !teleporting, name: teleporting ? 'teleport stream' : 'check.sav' });
  return loadFromFileOp(pool, source, {}, teleporting ? 'VMR3LoadFromStream' : 'VMR3LoadFromFile');
}

/** The functions scenario calls leave in engine state, in the code table. */
const codes = defineCodes('check', {
  /** A scenario callback: the scenario's status on this CPU. */
  scenarioCallback(host: CallbackHost | null, spec: CallSpec, ctx: EmtContext): number {
    host?.onCallback(ctx);
    return callbackStatus(spec, ctx.cpu);
  },
  /** reqCallWait's `inner`: the callback issued again as the EMT's own request. */
  innerCall(inner: NonNullable<CallSpec['inner']>, callback: (ctx: EmtContext) => number, ctx: EmtContext) {
    return ctx.reqCallWait(inner, callback);
  },
  countingSink: (): CountingSink => new CountingSink(),
});

/**
 * Build the Operation for one call; throws VBoxError for input the API itself refuses (that is the call's
 * status). `onCallback` sees every run of the call's callback (coverage of the direct rendezvous path).
 */
export function buildOperation(pool: ReqPool, spec: CallSpec, host: CallbackHost | null = null): Operation {
  // Code bound to data (the spec, the host): a packet or frame that holds the callback holds no closure.
  const callback = bindCode(codes.scenarioCallback, host, spec);
  switch (spec.call) {
    case 'powerOn':
      return vmOps.powerOn(pool);
    case 'suspend':
      return vmOps.suspend(pool, (spec.reason ?? 'USER') as SuspendReason);
    case 'resume':
      return vmOps.resume(pool, (spec.reason ?? 'USER') as ResumeReason);
    case 'reset':
      return vmOps.reset(pool);
    case 'softReset':
      return vmOps.softReset(pool);
    case 'powerOff':
      return vmOps.powerOff(pool);
    case 'destroy':
      return vmOps.destroy(pool);
    case 'reqCallWait': {
      const inner = spec.inner;
      return vmOps.reqCallWait(pool, spec.target ?? 'any', inner === undefined ? callback : bindCode(codes.innerCall, inner, callback), []);
    }
    case 'emtRendezvous':
      return vmOps.emtRendezvous(pool, { type: spec.type ?? 'descending', stopOnError: spec.stopOnError ?? false, priority: spec.priority ?? false }, callback);
    case 'setRuntimeError':
      return vmOps.setRuntimeError(pool, spec.flags ?? 0, spec.errorId ?? 'CheckError', `runtime error ${spec.errorId ?? 'CheckError'}`);
    case 'setGuruMeditation':
      return vmOps.setGuruMeditation(pool, { changed: false });
    case 'save':
    case 'teleport':
      return saveOp(pool, spec.call);
    case 'loadFromFile':
      return loadOp(pool, false);
    case 'loadFromStream':
      return loadOp(pool, true);
  }
}
