/**
 * Goal: `observe` reads the eight real VBox.log files of ../shared/vbox-logs (copied byte for byte into
 * fixtures/, see SOURCES.md) as they are.
 * Method: the expectations below were written by reading the logs (`grep -n "Changing the VM state"`, the
 * NumCPUs and "Halt method" lines, the context lines before each change), not from the tool's output. For each
 * log: the path, the line numbers of its first and last change, completeness, verdict, re-enactment, and
 * for whole lifecycles the engine's path equal to the log's.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { observeFile, type ObserveResult } from '../../src/observe/index.js';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));

interface Expected {
  file: string;
  version: string;
  cpus: number | null;
  haltMethod: string | null;
  path: string;
  first?: number;
  last?: number;
  complete: boolean;
  verdict: string;
  reenact: string;
  /** Causes the log gives: [line, text the cause must contain]. */
  causes?: [number, string][];
}

const POWER_ON = 'CREATING > CREATED > POWERING_ON > RUNNING';
const RESTORE = 'CREATING > CREATED > LOADING > SUSPENDED > RESUMING > RUNNING';
const PAUSE = 'SUSPENDING > SUSPENDED';
const UNPAUSE = 'RESUMING > RUNNING';
const SAVE = 'SAVING > SUSPENDED';
const END = 'POWERING_OFF > OFF > DESTROYING > TERMINATED';

const EXPECTED: Expected[] = [
  {
    file: 'Abdullah-Rai__Email-OSINT-Machine__VBox.log.2.log', version: '7.2.4', cpus: 3, haltMethod: 'global1 (5)',
    path: `${POWER_ON} > ${PAUSE} > ${UNPAUSE} > ${PAUSE} > ${END}`, first: 1306, last: 3452,
    complete: true, verdict: 'conforms', reenact: 'identical',
  },
  {
    file: 'Bayons__Minix__Logs__VBox.log.log', version: '5.0.6', cpus: 1, haltMethod: 'global1 (5)',
    path: `${POWER_ON} > ${PAUSE} > ${UNPAUSE} > ${PAUSE} > ${END}`, first: 1016, last: 1488,
    complete: true, verdict: 'conforms', reenact: 'identical',
    causes: [[1069, "pause, reason 'host suspend'"], [1075, "resume, reason 'host resume'"]],
  },
  {
    file: 'WemphiraOrg__ZypharaOS__VBox.log.log', version: '7.2.6', cpus: 1, haltMethod: 'global1 (5)',
    path: `${POWER_ON} > GURU_MEDITATION > ${END}`, first: 1285, last: 5921,
    complete: true, verdict: 'conforms', reenact: 'identical',
    causes: [[1312, 'VINF_EM_TRIPLE_FAULT'], [5094, 'user power off']],
  },
  {
    file: 'b6016323__supermarket__VBox.log.3.log', version: '5.2.8', cpus: 1, haltMethod: 'global1 (5)',
    path: `${POWER_ON} > ${PAUSE} > ${SAVE} > ${UNPAUSE} > RESETTING > RUNNING > ${PAUSE} > ${SAVE} > ${UNPAUSE} > ${PAUSE} > ${SAVE} > ${END}`,
    first: 1076, last: 2671, complete: true, verdict: 'conforms', reenact: 'identical',
    causes: [[1484, "reason 'snapshot'"], [1532, "saved to 'D:\\DOCS\\SHUY2\\VMs\\sysArchs2\\Snapshots\\2018-03-25T10-04-16-100479900Z.sav'"], [1587, 'reset by ACPI']],
  },
  {
    file: 'barkinet__barkim__Logs__VBox.log.log', version: '4.2.18', cpus: 1, haltMethod: 'global1 (5)',
    path: `${RESTORE} > ${PAUSE} > ${SAVE} > ${END}`, first: 850, last: 1365,
    complete: true, verdict: 'conforms', reenact: 'identical', causes: [[851, 'restore'], [895, "saved to '/Users/"]],
  },
  {
    file: 'dineshreddy11__DoS-attack-using-NS2__VBox.log.2.log', version: '7.0.4', cpus: 4, haltMethod: 'global1 (5)',
    path: `${RESTORE} > RESETTING > RUNNING > ${PAUSE} > ${UNPAUSE} > ${PAUSE} > ${SAVE} > ${END}`, first: 1374, last: 3364,
    complete: true, verdict: 'conforms', reenact: 'identical', causes: [[1515, 'reset by ACPI'], [1804, "saved to '<remote-machine>'"]],
  },
  {
    // A failed start: VT-x disabled, "Power up failed", no state line at all.
    file: 'hikarujj__work__VBox.log.log', version: '5.2.8', cpus: 2, haltMethod: null,
    path: '', complete: true, verdict: 'no-lifecycle', reenact: 'skipped',
  },
  {
    // A hand-trimmed excerpt: starts in SUSPENDING (line 15), cut inside the statistics after DESTROYING; no CFGM dump.
    file: 'thebagmaster__WEB_Streambot__Logs__VBox.log.2.log', version: '4.2.6', cpus: null, haltMethod: null,
    path: `${PAUSE} > ${UNPAUSE} > ${PAUSE} > ${UNPAUSE} > ${PAUSE} > ${UNPAUSE} > POWERING_OFF > OFF > DESTROYING`,
    first: 15, last: 36, complete: false, verdict: 'conforms', reenact: 'identical', causes: [[32, 'guest requested power off']],
  },
];

const results = new Map<string, Promise<ObserveResult>>();
const observe = (file: string) => {
  if (!results.has(file)) results.set(file, observeFile(join(fixtures, file), { file }));
  return results.get(file)!;
};

describe('observe: the real VBox.log files', () => {
  it.each(EXPECTED)('$file: path, completeness, verdict and re-enactment', async (x) => {
    const r = await observe(x.file);
    expect(r.version).toBe(x.version);
    expect(r.cpus).toBe(x.cpus);
    expect(r.haltMethod).toBe(x.haltMethod);
    expect(r.states.join(' > ')).toBe(x.path);
    if (x.first !== undefined) expect(r.changes[0]!.line).toBe(x.first);
    if (x.last !== undefined) expect(r.changes.at(-1)!.line).toBe(x.last);
    expect(r.complete).toBe(x.complete);
    expect(r.verdict).toBe(x.verdict);
    expect(r.reenact).toBe(x.reenact);
    expect(r.firstViolation).toBeUndefined();
    expect(r.firstDivergence).toBeUndefined();
    for (const [line, text] of x.causes ?? []) expect(r.changes.find((c) => c.line === line)?.cause).toContain(text);
  });

  it.each(EXPECTED.filter((x) => x.complete && x.path !== ''))('$file: the engine VM went through exactly the same states', async (x) => {
    const r = await observe(x.file);
    expect(r.reenactStates).toEqual(x.path.split(' > '));
    // "global1 (5)" in the log: VMHALTMETHOD_GLOBAL_1 = 5 in the engine, with the log's vCPU count.
    expect(r.reenactHaltMethod).toBe('GLOBAL_1');
    expect(r.calls[0]).toMatchObject({ api: 'create', args: [x.cpus] });
  });

  it('the excerpt is re-enacted after a lead-in along machines/vm.ts (CREATING to SUSPENDING) and matches from there on', async () => {
    const x = EXPECTED.at(-1)!;
    const r = await observe(x.file);
    const leadIn = ['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING'];
    expect(r.reenactStates.slice(0, leadIn.length)).toEqual(leadIn);
    // The log stops in DESTROYING: its path is a prefix of what the engine did from the excerpt's start.
    expect(r.reenactStates.slice(leadIn.length, leadIn.length + r.states.length)).toEqual(r.states);
    expect(r.notes.join(' ')).toMatch(/starts mid-life: line 15 begins in SUSPENDING/);
    expect(r.notes.join(' ')).toMatch(/ends mid-life in DESTROYING \(line 36\)/);
  });

  it('the failed start says why (lines 537 and 540: VT-x disabled, VERR_VMX_MSR_ALL_VMX_DISABLED)', async () => {
    const r = await observe('hikarujj__work__VBox.log.log');
    const note = r.notes.find((n) => n.startsWith('a failed start'));
    expect(note).toContain('line 540');
    expect(note).toContain('vrc=VERR_VMX_MSR_ALL_VMX_DISABLED');
    expect(note).toContain('VT-x is disabled in the BIOS for all CPU modes');
  });

  it('the calls carry the logged reasons (host suspend / host resume; snapshot resume is STATE_SAVED; after a restore STATE_RESTORED)', async () => {
    const bayons = await observe('Bayons__Minix__Logs__VBox.log.log');
    expect(bayons.calls.map((c) => [c.api, ...c.args.filter((a) => typeof a === 'string')])).toEqual([
      ['create'], ['powerOn'], ['suspend', 'HOST_SUSPEND'], ['resume', 'HOST_RESUME'], ['suspend', 'USER'], ['powerOff'], ['destroy'],
    ]);
    const snapshot = await observe('b6016323__supermarket__VBox.log.3.log');
    expect(snapshot.calls.filter((c) => c.api === 'resume').map((c) => c.args[0])).toEqual(['STATE_SAVED', 'STATE_SAVED']);
    const restore = await observe('barkinet__barkim__Logs__VBox.log.log');
    expect(restore.calls.find((c) => c.api === 'resume')?.args).toEqual(['STATE_RESTORED']);
  });

  it('each call ran at its logged time on the virtual clock (the trace shows both runs on one axis)', async () => {
    const r = await observe('b6016323__supermarket__VBox.log.3.log');
    const reset = r.changes.find((c) => c.to === 'RESETTING')!;
    const engineReset = r.trace.find((t) => t.type === 'event' && t.vm === 2 && t.event.kind === 'state' && t.event.to === 'RESETTING');
    expect(engineReset?.type === 'event' && engineReset.event.tNs).toBeGreaterThanOrEqual(reset.tNs);
    expect(engineReset?.type === 'event' && engineReset.event.tNs).toBeLessThan(reset.tNs + 1e9);
  });
});
