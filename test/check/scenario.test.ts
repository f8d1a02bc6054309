/**
 * Scenario files are user input: every mistake gets a message naming the field, and nothing is explored.
 * Method: table-driven bad inputs against exact messages; good inputs against the normalized scenario.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario, parseScenarioText, ScenarioError } from '../../src/check/scenario.js';
import { VERR_GENERAL_FAILURE } from '../../src/status.js';

describe('parseScenario', () => {
  it('fills the defaults and names clients A, B, …', () => {
    expect(parseScenario({ cpus: 2, clients: [['powerOn', 'suspend'], ['powerOff']] })).toEqual({
      name: 'powerOn → suspend ∥ powerOff',
      cpus: 2,
      fidelity: 'intended',
      config: {},
      guest: 'none',
      timers: 'idle',
      halt: 'off',
      clients: [
        { name: 'A', calls: [{ call: 'powerOn' }, { call: 'suspend' }] },
        { name: 'B', calls: [{ call: 'powerOff' }] },
      ],
    });
  });

  it('reads call objects, status names and per-CPU statuses', () => {
    const s = parseScenario({
      cpus: 3,
      clients: [{ name: 'rv', calls: [{ call: 'emtRendezvous', type: 'once', status: 'VERR_GENERAL_FAILURE', statusOn: { '2': 1 } }] }],
    });
    expect(s.clients[0]).toEqual({ name: 'rv', calls: [{ call: 'emtRendezvous', type: 'once', status: VERR_GENERAL_FAILURE, statusOn: { 2: 1 } }] });
  });

  it.each([
    [null, 'scenario: must be an object with "cpus" and "clients"'],
    [{ cpus: 0, clients: [['powerOn']] }, 'scenario.cpus: must be an integer 1..8, got 0'],
    [{ cpus: 9, clients: [['powerOn']] }, 'scenario.cpus: must be an integer 1..8, got 9'],
    [{ cpus: 2, clients: [] }, 'scenario.clients: must be a non-empty array of call lists'],
    [{ cpus: 2, clients: [['powerOn'], ['powerOf']] }, "scenario.clients[1][0]: unknown call \"powerOf\"; expected one of powerOn, suspend, resume, reset, softReset, powerOff, destroy, save, reqCallWait, emtRendezvous, setRuntimeError, setGuruMeditation, teleport, loadFromFile, loadFromStream"],
    [{ cpus: 2, clients: [[{ call: 'reqCallWait', target: 5 }]] }, "scenario.clients[0][0].target: must be 'any', 'any-queue', 'all', 'all-reverse' or a CPU id 0..1, got 5"],
    [{ cpus: 2, clients: [[{ call: 'emtRendezvous', type: 'sideways' }]] }, 'scenario.clients[0][0].type: unknown rendezvous type "sideways"; expected one of one-by-one, all-at-once, once, ascending, descending'],
    [{ cpus: 2, clients: [[{ call: 'emtRendezvous', type: 'once', stopOnError: true }]] }, 'scenario.clients[0][0].stopOnError: STOP_ON_ERROR is not allowed with once (VERR_INVALID_FLAGS)'],
    [{ cpus: 2, clients: [[{ call: 'powerOn', status: 0 }]] }, 'scenario.clients[0][0].status: only reqCallWait and emtRendezvous run a callback'],
    [{ cpus: 2, clients: [[{ call: 'reqCallWait', status: 'VERR_NOPE' }]] }, "scenario.clients[0][0].status: unknown status name 'VERR_NOPE'"],
    [{ cpus: 2, clients: [[{ call: 'powerOn', colour: 'red' }]] }, "scenario.clients[0][0]: unknown key 'colour'"],
    [{ cpus: 2, fidelity: 'exact', clients: [['powerOn']] }, "scenario.fidelity: must be 'intended' or 'as-written'"],
    [{ cpus: 2, clients: [{ name: 'A', calls: ['powerOn'] }, { name: 'A', calls: ['powerOff'] }] }, "scenario.clients[1].name: duplicate client name 'A'"],
    [{ cpus: 2, config: { NumCPUs: 2 }, clients: [['powerOn']] }, 'scenario.config.NumCPUs: unknown key or bad value 2 (PowerOffInsteadOfReset: boolean, HaltMethod: integer or BOOTSTRAP | OLD | METHOD_1 | GLOBAL_1)'],
    [{ cpus: 2, clients: [['powerOn']], extra: 1 }, "scenario: unknown key 'extra'"],
  ])('refuses %j', (input, message) => {
    expect(() => parseScenario(input)).toThrow(new ScenarioError(message));
  });

  it('names the file when the JSON itself is broken', () => {
    expect(() => parseScenarioText('{ "cpus": 2,', 'race.json')).toThrow(/^race\.json: not valid JSON/);
  });
});
