/** `npm run bench`: every benchmark in turn; each prints its own figures. Never part of `npm test`. */
import { main as idleVms } from './idle-vms.js';
import { main as rendezvous } from './rendezvous.js';
import { main as request } from './request.js';
import { main as tstVmReq } from './tstvmreq.js';
import { main as ssmIo } from './ssm-io.js';
import { main as liveSave } from './live-save.js';
import { main as inspect } from './inspect.js';
import { main as checkPowerOns } from './check-powerons.js';
import { main as checkRebuild } from './check-rebuild.js';
import { main as checkCopies } from './check-copies.js';
import { main as checkParallel } from './check-parallel.js';
import { main as checkHalt } from './check-halt.js';
import { main as checkKeyAudit } from './check-key-audit.js';
import { main as checkSpin } from './check-spin.js';
import { main as threadContention } from './thread-contention.js';
import { main as checkPct } from './check-pct.js';
import { main as checkSave } from './check-save.js';
import { main as keptBytes } from './kept-bytes.js';
import { main as gvmmSchedHalt } from './gvmm-sched-halt.js';
import { main as gvmmWakeUpLatency } from './gvmm-wakeup-latency.js';
import { main as gvmmIdle } from './gvmm-idle.js';
import { main as observeLarge } from './observe-large.js';
import { main as teleportHostile } from './teleport-hostile.js';
import { main as viewerFlood } from './viewer-flood.js';

const benches: [string, () => Promise<unknown>][] = [
  ['request round trip', () => request()],
  ['rendezvous scaling', () => rendezvous()],
  ['tstVMREQ alloc/free', () => tstVmReq()],
  ['idle VMs', () => idleVms()],
  ['SSM save/load I/O (tstSSM, 512 MiB)', () => ssmIo()],
  ['live save of 256 MiB guest RAM (dirty rates)', () => liveSave()],
  ['inspection cost (adapter, recorder, wire form)', () => inspect()],
  ['GVMM schedHalt: scan vs heap, 1,000 VMs x 64 vCPUs', () => gvmmSchedHalt()],
  ['GVMM wake-up latency (real time)', () => gvmmWakeUpLatency()],
  ['halted vCPUs on virtual time: 10 s, 4 vCPUs, 1 ms ticks', () => gvmmIdle()],
  ['observe: a 100 MiB VBox.log streamed (time, peak RSS)', () => observeLarge()],
  ['teleport listener under hostile peers (deadline, password backoff, junk flood RSS)', () => teleportHostile(800)],
  ['viewer relay under a flood: 100 x 10 MiB, 1,000 x 1 MiB (peak RSS of the viewer)', () => viewerFlood()],
  // Last: check-powerons switches V8's allocation-site pretenuring off for the rest of the process, as the CLI does.
  ['model checker: world rebuild and step cost, N = 4 race (V8 defaults)', () => checkRebuild()],
  ['model checker: copied worlds vs rebuilds (race N = 4, 5)', () => checkCopies(['--cases', 'race4-off,race4-on,race5-off,race5-on'])],
  ['model checker: powerOn→suspend ∥ powerOff, N = 2…6', () => checkPowerOns()],
  ['model checker on 1 and 2 worker threads: the race, N = 2…6, reductions off', () => checkParallel()],
  ['model checker with halt methods on: per method, N = 1…3, and the halt-path mutants', () => checkHalt()],
  ['model checker state-key audit: every merge of the suite scenarios, two steps deep', () => checkKeyAudit()],
  ['model checker beside Spin: the race, N = 2…6, reductions on and off (npm run bench:spin)', () => checkSpin()],
  ['two threads side by side: arithmetic and allocation alone and two at once (what caps two workers)', () => threadContention()],
  ['model checker sampling: iterations to each mutant, PCT vs portfolio vs random walks, at 8 and 16 vCPUs', () => checkPct()],
  ['model checker on the saved-state scenario: Save ∥ Suspend ∥ PowerOff beside the race; a mid-save world', () => checkSave()],
  ['model checker: the heap a kept world holds against the budget estimate (per suite scenario)', () => keptBytes()],
];

for (const [name, run] of benches) {
  console.log(`\n=== ${name}`);
  await run();
}
