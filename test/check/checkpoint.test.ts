/**
 * Long checks survive (issue 17 item 3). Goal: a breadth-first check writes checkpoints; a run killed with
 * SIGKILL after one appeared and resumed from it ends with the result of an uninterrupted run (states,
 * transitions, verdict, outcomes, coverage, the same shortest counterexample); a checkpoint is hostile input:
 * torn, corrupt, foreign or forged files are refused with VERR_SSM_* statuses; the progress line carries TLC's
 * figures. Method: the real CLI spawned and killed, the library API, and checkpoint bytes mutated one way each.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explore, type ExploreOptions, type ExploreResult, type Scenario } from '../../src/check/index.js';
import { CHECKPOINT_FILE, readCheckpoint } from '../../src/check/checkpoint/checkpoint.js';
import { CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, type CheckpointData } from '../../src/check/checkpoint/format.js';
import { progressLine } from '../../src/cli/commands/check-progress.js';
import { parseScenario } from '../../src/check/scenario.js';
import { World } from '../../src/check/world.js';
import { VBoxError } from '../../src/status.js';
import * as rc from '../../src/status/codes.js';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
/** A live-save race with a shortest counterexample 300-odd states in (about 3 s). */
const SAVE: Scenario = { cpus: 1, fidelity: 'as-written', timers: 'any', clients: [['powerOn', 'save'], ['suspend']] };
const SAVE_OPTIONS: ExploreOptions = { por: false };
/** A clean race that explores every interleaving (about 1,300 states without reductions). */
const RACE: Scenario = { cpus: 3, clients: [['powerOn', 'suspend'], ['powerOff']] };
const RACE_OPTIONS: ExploreOptions = { por: false, symmetry: false };

/** The result as data, without the figures that measure the run rather than the graph. */
function essence(result: ExploreResult | Record<string, unknown>): Record<string, unknown> {
  const r = JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
  for (const k of ['seconds', 'statesPerSecond', 'rebuilds', 'replayedSteps', 'copies', 'snapshots', 'bytesPerState']) delete r[k];
  return r;
}

function cli(args: string[], onStart?: (kill: () => void) => void): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  onStart?.(() => child.kill('SIGKILL'));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
}

const uninterrupted = new Map<Scenario, Promise<ExploreResult>>();
const reference = (s: Scenario, o: ExploreOptions) => uninterrupted.get(s) ?? uninterrupted.set(s, explore(s, o)).get(s)!;

describe('checkpoint and resume', () => {
  it('a CLI run killed (SIGKILL) after its first checkpoint resumes to the uninterrupted result and counterexample', async () => {
    const scenario = join(dir, 'save.json');
    writeFileSync(scenario, JSON.stringify(SAVE));
    const ckpt = join(dir, 'killed');
    const killed = await cli(['check', scenario, '--no-por', '--checkpoint', ckpt, '--checkpoint-every', '0.05', '--quiet', '--json'], (kill) => {
      const poll = setInterval(() => {
        if (!existsSync(join(ckpt, CHECKPOINT_FILE))) return;
        clearInterval(poll);
        kill();
      }, 5);
    });
    expect(killed.signal).toBe('SIGKILL');
    const saved = readCheckpoint(ckpt).header;
    const expected = await reference(SAVE, SAVE_OPTIONS);
    expect(saved.head).toBeLessThan(expected.states); // stopped part-way: the resume has work to do
    const trace = join(dir, 'resumed.trace.jsonl');
    const resumed = await cli(['check', scenario, '--no-por', '--resume', ckpt, '--quiet', '--json', '--trace-out', trace]);
    expect(resumed.code).toBe(1);
    expect(essence(JSON.parse(resumed.out) as Record<string, unknown>)).toEqual(essence(expected));
    expect(readFileSync(trace, 'utf8')).toBe(expected.violations[0]!.text);
  }, 120_000);

  it.each([
    ['every 150 states, stopped by maxStates', { checkpoint: { dir: '', everyMs: 1e9, everyStates: 150 }, maxStates: 700 }],
    ['stopped by the time limit at once', { checkpoint: { dir: '', everyMs: 1e9 }, timeLimitMs: 0 }],
  ] as const)('library: %s, then resumed, ends as the uninterrupted run', async (_, first) => {
    const ckpt = mkdtempSync(join(dir, 'lib-'));
    const stopped = await explore(RACE, { ...RACE_OPTIONS, ...first, checkpoint: { ...first.checkpoint, dir: ckpt } });
    expect(stopped.status).toBe('bounded');
    const resumed = await explore(RACE, { ...RACE_OPTIONS, resume: ckpt });
    const expected = await reference(RACE, RACE_OPTIONS);
    expect(expected.status).toBe('ok');
    expect(essence(resumed)).toEqual(essence(expected));
  }, 120_000);

  it("reductions on: the cycle proviso's links are saved, and a resumed run ends as the uninterrupted one", async () => {
    const ckpt = mkdtempSync(join(dir, 'por-'));
    await explore(RACE, { checkpoint: { dir: ckpt, everyMs: 1e9, everyStates: 100 }, maxStates: 400 });
    const links = readCheckpoint(ckpt).proviso;
    expect(links.some((link) => link >= 0)).toBe(true); // reduced states and where their one step went
    expect(essence(await explore(RACE, { resume: ckpt }))).toEqual(essence(await explore(RACE)));
  }, 60_000);

  it('a checkpoint at the last expansion, past states left at maxDepth, resumes bounded as the uninterrupted run', async () => {
    const options: ExploreOptions = { ...RACE_OPTIONS, maxDepth: 12 };
    const ckpt = mkdtempSync(join(dir, 'depth-'));
    const expected = await explore(RACE, { ...options, checkpoint: { dir: ckpt, everyMs: 1e9, everyStates: 0 } }); // one per expansion
    expect(expected.bound).toBe('maxDepth');
    expect(readCheckpoint(ckpt).header.head).toBe(expected.states - 1); // the last one: every state at maxDepth was met
    expect(essence(await explore(RACE, { ...options, resume: ckpt }))).toEqual(essence(expected));
  }, 60_000);

  it('elapsed time continues from the checkpoint', async () => {
    const ckpt = mkdtempSync(join(dir, 'elapsed-'));
    await explore(RACE, { ...RACE_OPTIONS, checkpoint: { dir: ckpt }, timeLimitMs: 0 });
    const data = readCheckpoint(ckpt);
    const forged = join(dir, 'elapsed-forged');
    writeCheckpointBytes(forged, encodeCheckpoint({ ...data, header: { ...data.header, seconds: 1000 } }));
    const resumed = await explore(RACE, { ...RACE_OPTIONS, resume: forged, maxStates: 50 });
    expect(resumed.seconds).toBeGreaterThan(1000);
  }, 60_000);
});

function writeCheckpointBytes(at: string, bytes: Buffer): string {
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, CHECKPOINT_FILE), bytes);
  return at;
}

describe('a checkpoint is hostile input', () => {
  let valid: CheckpointData;
  let bytes: Buffer;
  const forge = (edit: (d: CheckpointData) => void): Buffer => {
    const d = decodeCheckpoint(bytes);
    edit(d);
    return encodeCheckpoint(d);
  };
  const patched = (at: number, value: number): Buffer => {
    const b = Buffer.from(bytes);
    b.writeUInt32LE(value, at);
    return b;
  };

  it('setup: a real checkpoint decodes and round-trips', async () => {
    const ckpt = mkdtempSync(join(dir, 'valid-'));
    await explore(RACE, { ...RACE_OPTIONS, checkpoint: { dir: ckpt, everyMs: 1e9, everyStates: 100 }, maxStates: 300 });
    bytes = readFileSync(join(ckpt, CHECKPOINT_FILE));
    valid = decodeCheckpoint(bytes);
    expect(valid.header.states).toBeGreaterThanOrEqual(100);
    expect(encodeCheckpoint(valid)).toEqual(bytes);
  });

  const cases: [string, () => Buffer, number][] = [
    ['empty (torn at once)', () => Buffer.alloc(0), rc.VERR_SSM_INTEGRITY_SIZE],
    ['torn half-way', () => bytes.subarray(0, bytes.length >> 1), rc.VERR_SSM_INTEGRITY_CRC],
    ['another file', () => Buffer.from('{"cpus":2,"clients":[]}\n'.repeat(4)), rc.VERR_SSM_INTEGRITY_MAGIC],
    ['a newer format', () => patched(8, CHECKPOINT_VERSION + 1), rc.VERR_SSM_INTEGRITY_VERSION],
    ['an older format (format 1 is refused)', () => patched(8, CHECKPOINT_VERSION - 1), rc.VERR_SSM_INTEGRITY_VERSION],
    ['one byte flipped', () => Buffer.from(bytes).fill(bytes[bytes.length >> 1]! ^ 0xff, bytes.length >> 1, (bytes.length >> 1) + 1), rc.VERR_SSM_INTEGRITY_CRC],
    ['a forged header length (checksum fixed)', () => withCrc(patched(12, 0xfffffff0)), rc.VERR_SSM_INTEGRITY_HEADER],
    ['a header that is not JSON', () => forgeHeader('{"head":'), rc.VERR_SSM_INTEGRITY_HEADER],
    ['more states than bytes', () => forge((d) => void (d.header.states += 1_000_000_000)), rc.VERR_SSM_INTEGRITY_SIZE],
    ['a head past the states', () => forge((d) => void (d.header.head = d.header.states + 1)), rc.VERR_SSM_INTEGRITY_HEADER],
    ['a root that is not at depth 0', () => forge((d) => void (d.depth[0] = 1)), rc.VERR_SSM_INTEGRITY],
    ['a parent after its child', () => forge((d) => void (d.parent[5] = 7)), rc.VERR_SSM_INTEGRITY],
    ['a liveness edge to no state', () => forge((d) => void (d.liveness!.dst[0] = d.header.states)), rc.VERR_SSM_INTEGRITY],
    ['a proviso link to no state', () => forge((d) => void (d.proviso[2] = d.header.states)), rc.VERR_SSM_INTEGRITY],
    ['a proviso link on a state not expanded yet', () => forge((d) => void (d.proviso[d.header.head] = 0)), rc.VERR_SSM_INTEGRITY],
    ['proviso links in a loop (a walk would never end)', () => forge((d) => void ((d.proviso[3] = 4), (d.proviso[4] = 3))), rc.VERR_SSM_INTEGRITY],
  ];
  it.each(cases)('%s: refused with its status', (_, make, status) => {
    expect(() => decodeCheckpoint(make())).toThrow(expect.objectContaining({ rc: status }) as unknown as Error);
  });

  const withCrc = (b: Buffer): Buffer => encodeRaw(b.subarray(0, b.length - 4));
  const forgeHeader = (text: string): Buffer => {
    const header = Buffer.from(text);
    const prefix = Buffer.from(bytes.subarray(0, 16));
    prefix.writeUInt32LE(header.length, 12);
    return encodeRaw(Buffer.concat([prefix, header]));
  };

  it.each([
    ['another scenario', { ...RACE, cpus: 2 }, RACE_OPTIONS, rc.VERR_SSM_LOAD_CONFIG_MISMATCH],
    ['other options', RACE, { ...RACE_OPTIONS, por: true }, rc.VERR_SSM_LOAD_CONFIG_MISMATCH],
    ['a key twice', RACE, RACE_OPTIONS, rc.VERR_SSM_INTEGRITY],
    ['a choice no world offers (checksum fixed)', RACE, RACE_OPTIONS, rc.VERR_SSM_INTEGRITY],
    ['a coverage pair that is no from>to', RACE, RACE_OPTIONS, rc.VERR_SSM_INTEGRITY],
  ] as const)('resuming with %s is refused', async (name, scenario, options, status) => {
    const data = decodeCheckpoint(bytes);
    if (name === 'a key twice') [data.hi[3], data.lo[3]] = [data.hi[2]!, data.lo[2]!];
    if (name.startsWith('a choice')) data.choice.fill(200, data.header.head); // every frontier state's last step
    if (name.startsWith('a coverage')) Object.values(data.header.coverage.machines)[0]!.push('RUNNING');
    const at = writeCheckpointBytes(mkdtempSync(join(dir, 'foreign-')), encodeCheckpoint(data));
    await expect(explore(scenario, { ...options, resume: at })).rejects.toMatchObject({ rc: status });
  });

  it('a forged timer choice where time may not pass is no choice (a world refuses it, so a resume refuses it)', () => {
    const world = World.build(parseScenario(RACE), { properties: [] });
    world.step(0); // the first client's powerOn starts; no timer is pending and actors are ready
    expect(world.timerChoice()).toBe(false);
    expect(() => world.step(world.ready().length)).toThrow(/^world: no choice/);
  });

  it.each([
    ['a file where the folder should be', (at: string) => (writeFileSync(at, 'x'), at), rc.VERR_ALREADY_EXISTS],
    ['a folder where the checkpoint file should be', (at: string) => (mkdirSync(join(at, 'checkpoint.bin'), { recursive: true }), at), rc.VERR_IS_A_DIRECTORY],
  ] as const)('a checkpoint that cannot be written fails the run with a status (%s)', async (_name, make, status) => {
    const at = make(join(mkdtempSync(join(dir, 'unwritable-')), 'ckpt'));
    await expect(explore(RACE, { ...RACE_OPTIONS, checkpoint: { dir: at, everyMs: 1e9, everyStates: 10 } })).rejects.toMatchObject({ rc: status });
  });

  it('no checkpoint, or a mode that cannot be checkpointed, is refused', async () => {
    await expect(explore(RACE, { resume: join(dir, 'nowhere') })).rejects.toMatchObject({ rc: rc.VERR_FILE_NOT_FOUND });
    for (const o of [{ mode: 'dfs' }, { workers: 2 }] as const) {
      await expect(explore(RACE, { ...o, checkpoint: { dir } })).rejects.toBeInstanceOf(VBoxError);
      await expect(explore(RACE, { ...o, checkpoint: { dir } })).rejects.toMatchObject({ rc: rc.VERR_NOT_SUPPORTED });
    }
  });

  it('the CLI refuses --checkpoint-every without a directory, and a mode that cannot be checkpointed (exit 2)', async () => {
    const scenario = join(dir, 'race.json');
    writeFileSync(scenario, JSON.stringify(RACE));
    expect((await cli(['check', scenario, '--checkpoint-every', '1', '--quiet'])).err).toMatch(/--checkpoint-every needs --checkpoint/);
    const dfs = await cli(['check', scenario, '--mode', 'dfs', '--checkpoint', join(dir, 'dfs'), '--quiet']);
    expect([dfs.code, dfs.err]).toEqual([2, expect.stringMatching(/VERR_NOT_SUPPORTED \(-37\): checkpoint\/resume: only single-threaded breadth-first/)]);
  }, 60_000);

  it('the CLI refuses a corrupt checkpoint as bad input (exit 2) naming the status', async () => {
    const scenario = join(dir, 'race.json');
    writeFileSync(scenario, JSON.stringify(RACE));
    const at = writeCheckpointBytes(mkdtempSync(join(dir, 'cli-bad-')), bytes.subarray(0, 100));
    const r = await cli(['check', scenario, '--no-por', '--no-symmetry', '--resume', at, '--quiet']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/VERR_SSM_INTEGRITY_CRC \(-1814\): checkpoint: checksum mismatch/);
  }, 60_000);
});

/** Body bytes with their CRC-32 appended (a forger who knows the format). */
function encodeRaw(body: Buffer): Buffer {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(crc32(body) >>> 0);
  return Buffer.concat([body, crc]);
}

describe('the progress line', () => {
  it("carries TLC's figures: distinct states, states generated, frontier, both rates, elapsed", () => {
    const line = progressLine({ states: 1234, transitions: 5678, depth: 9, frontier: 321, seconds: 12.5, statesPerSecond: 98.7, transitionsPerSecond: 454.2, heapBytes: 0 });
    expect(line).toMatch(/^states 1,234 distinct {2}5,678 generated {2}frontier 321 {2}99 distinct\/s {2}454 generated\/s .*elapsed 12\.5 s$/);
  });
});
