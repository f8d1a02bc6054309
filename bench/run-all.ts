/** `npm run bench`: every benchmark in turn; each prints its own figures. Never part of `npm test`. */
import { main as idleVms } from './idle-vms.js';
import { main as rendezvous } from './rendezvous.js';
import { main as request } from './request.js';
import { main as tstVmReq } from './tstvmreq.js';

const benches: [string, () => Promise<unknown>][] = [
  ['request round trip', () => request()],
  ['rendezvous scaling', () => rendezvous()],
  ['tstVMREQ alloc/free', () => tstVmReq()],
  ['idle VMs', () => idleVms()],
];

for (const [name, run] of benches) {
  console.log(`\n=== ${name}`);
  await run();
}
