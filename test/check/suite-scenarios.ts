/** The suite's checker scenarios named in issue 12 (scenario syntax of src/check/scenario.ts), for tests that sweep them. */
import type { Scenario } from '../../src/check/scenario.js';

const rv = (type: string) => ({ call: 'emtRendezvous' as const, type: type as 'once' });

export const SUITE_SCENARIOS: [string, Scenario][] = [
  ['race powerOn→suspend ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['race powerOn→suspend ∥ powerOff, 3 vCPUs', { cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] }],
  ['powerOn→suspend ∥ resume ∥ powerOff, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'suspend'], ['resume'], ['powerOff']] }],
  ['powerOn→reset ∥ suspend, 2 vCPUs', { cpus: 2, clients: [['powerOn', 'reset'], ['suspend']] }],
  ['powerOn→save ∥ powerOff, timers any, 2 vCPUs', { cpus: 2, timers: 'any', clients: [['powerOn', 'save'], ['powerOff']] }],
  ...(['BOOTSTRAP', 'OLD', 'METHOD_1', 'GLOBAL_1'] as const).map((method): [string, Scenario] => [
    `halt on, ${method}: powerOn→reqCallWait(1) ∥ powerOff, 2 vCPUs`,
    { cpus: 2, halt: 'on', guest: 'halt', config: { HaltMethod: method }, clients: [['powerOn', { call: 'reqCallWait', target: 1 }], ['powerOff']] },
  ]),
  ...(['once', 'one-by-one', 'all-at-once', 'ascending', 'descending'] as const).map((type): [string, Scenario] => [
    `${type} rendezvous ∥ powerOn, 3 vCPUs`,
    { cpus: 3, clients: [[rv(type)], ['powerOn']] },
  ]),
  ['teleport on the virtual clock: powerOn→teleport ∥ suspend, 2 vCPUs', { cpus: 2, timers: 'any', clients: [['powerOn', 'teleport'], ['suspend']] }],
  ['teleport target: loadFromStream→resume, 2 vCPUs', { cpus: 2, clients: [['loadFromStream', 'resume']] }],
];
