/**
 * The saved states the checker's load calls read: a file image (VMR3Save of a running VM) and a teleport stream
 * (VMR3Teleport of one), made once per vCPU count before any world needs them, by a VM set up as every world's
 * (same RAM size, no guest) on its own deterministic engine. An image is a constant of the scenario, not world
 * state, so the state key need not carry it; each world reads it from memory (the checker writes no files).
 */
import { DeterministicScheduler } from '../sched/deterministic.js';
import { MemorySink } from '../ssm/sinks.js';
import { isVBoxError, RT_FAILURE, statusName } from '../status.js';
import { runOperationThen, type Operation } from '../vmm/external.js';
import { vmOps } from '../vmm/operations.js';
import type { ReqPool } from '../vmm/requests.js';
import { createVMM } from '../api/vmm.js';
import { at } from './map-at.js';

/** Guest RAM of every world's VM (small: the load calls read it in every world that reaches them). */
export const WORLD_RAM_BYTES = 16 * 4096;

export type ImageKind = 'file' | 'teleport';

const images = new Map<string, Uint8Array>();

/** The saved state of a running `cpus`-vCPU VM: a file (SSMAFTER_CONTINUE) or a teleport stream. */
export function scenarioImage(cpus: number, kind: ImageKind): Uint8Array {
  return at(images, `${cpus}/${kind}`, () => makeImage(cpus, kind));
}

function makeImage(cpus: number, kind: ImageKind): Uint8Array {
  const sched = new DeterministicScheduler({ autoRun: false, policy: { kind: 'first' } });
  // As a world with halt 'off': idle EMTs sleep until notified, so the engine runs dry between calls.
  const vmm = createVMM({ scheduler: sched, hooks: { wait: undefined, halt: undefined, notifyCpuFF: undefined } });
  const run = (what: string, build: (pool: ReqPool) => Operation, pool: ReqPool) => {
    let result: number | Error = Number.NaN;
    runOperationThen(pool.vm, build(pool), (r) => (result = r));
    sched.runSync(true);
    const rc = isVBoxError(result) ? result.rc : result;
    if (typeof rc !== 'number' || Number.isNaN(rc) || RT_FAILURE(rc)) {
      throw new Error(`checker image (${cpus} vCPUs, ${kind}): ${what} gave ${typeof rc === 'number' ? statusName(rc) : String(rc)}`);
    }
  };
  try {
    const vm = vmm.createThen({ cpus, config: { NumCPUs: cpus }, ram: { sizeBytes: WORLD_RAM_BYTES } }, () => {});
    sched.runSync(true);
    const sink = new MemorySink();
    run('powerOn', (pool) => vmOps.powerOn(pool), vm.pool);
    run(kind, (pool) => (kind === 'file' ? vmOps.save : vmOps.teleport)(pool, sink, { maxDowntimeMs: 250 }), vm.pool);
    return sink.bytes();
  } finally {
    vmm.dispose();
  }
}
