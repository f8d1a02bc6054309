/**
 * Goal: observe is robust on messy input (issue 14 item 4) and says precisely what is wrong with a bad log.
 * Method: synthetic logs built from real line shapes (synth.ts), one per pitfall: CRLF, a state change glued
 * onto another message, guest log lines (with their own "Log opened" and a fake state change), backwards
 * timestamps, a hand-trimmed excerpt whose path does not connect, an illegal transition, a pre-3.1 log, binary
 * garbage and an empty file; and the calls that need more than a plain API call (a failed save with the logged
 * status, a runtime error, a live save, a failed restore, an edge no API takes).
 */
import { describe, expect, it } from 'vitest';
import { observeLog, ObserveInputError } from '../../src/observe/index.js';
import { change, LIFE, msg, path, synth } from './synth.js';

const HEADER_LINES = 5;

describe('observe: messy input', () => {
  it('CRLF and LF logs give the same report', async () => {
    const lf = await observeLog(synth(path(LIFE)));
    const crlf = await observeLog(synth(path(LIFE), { crlf: true }));
    expect(lf.states).toEqual(LIFE);
    expect(crlf.states).toEqual(LIFE);
    expect({ ...crlf, trace: [] }).toEqual({ ...lf, trace: [] });
  });

  it('a state change glued onto the previous message (7.2 NAT) is read where it stands, at its own timestamp', async () => {
    const body = path(LIFE);
    // The NAT message had no newline: the next line, timestamp and all, continues it.
    body[3] = msg(125, `NAT: DNS#0: reply too long${body[3]}`);
    // Glued without its timestamp, the change takes the line's.
    body[4] = msg(140, `NAT: link up ${body[4]!.slice(16)}`);
    const r = await observeLog(synth(body));
    expect(r.states).toEqual(LIFE);
    expect(r.changes[3]).toMatchObject({ line: HEADER_LINES + 4, time: '00:00:00.130000', from: 'RUNNING', to: 'SUSPENDING' });
    expect(r.changes[4]).toMatchObject({ line: HEADER_LINES + 5, time: '00:00:00.140000' });
    expect(r.verdict).toBe('conforms');
  });

  it("VMMDev guest log lines are ignored, with their own 'Log opened' and state-change text", async () => {
    const body = path(LIFE);
    body.splice(4, 0,
      msg(135, 'VMMDev: Guest Log: 05:18:39.121182 main     Log opened 2099-01-01T00:00:00.000000000Z'),
      msg(136, "VMMDev: Guest Log: 05:18:39.200000 main     Changing the VM state from 'RUNNING' to 'OFF'"));
    const r = await observeLog(synth(body));
    expect(r.states).toEqual(LIFE);
    expect(r.logOpened).toBe('2023-06-22T10:59:59.258118800Z');
    expect(r.guestLogLines).toBe(2);
    expect(r.verdict).toBe('conforms');
  });

  it('timestamps that go backwards keep file order and are counted', async () => {
    const body = path(LIFE);
    body.splice(5, 0, msg(50, 'AIOMgr: Async flushes not supported')); // earlier than the line before it
    const r = await observeLog(synth(body));
    expect(r.states).toEqual(LIFE);
    expect(r.backwardsTimestamps).toBeGreaterThanOrEqual(1);
    expect(r.verdict).toBe('conforms');
    expect(r.reenact).toBe('identical');
  });

  it('a hand-trimmed excerpt whose path does not connect: violation at the line where it breaks', async () => {
    const body = path(LIFE);
    body.splice(2, 1); // POWERING_ON -> RUNNING cut out: the next change starts from RUNNING while the path is in POWERING_ON
    const r = await observeLog(synth(body));
    expect(r.verdict).toBe('violation');
    expect(r.firstViolation).toMatchObject({ kind: 'gap', line: HEADER_LINES + 3, from: 'RUNNING' });
    expect(r.firstViolation!.message).toMatch(/does not connect.*ended in POWERING_ON/);
    expect(r.reenact).toBe('skipped');
  });

  it('an illegal transition is a violation with its line number (not an edge of machines/vm.ts)', async () => {
    const r = await observeLog(synth([...path(['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING']), change(200, 'RUNNING', 'CREATED')]));
    expect(r.verdict).toBe('violation');
    expect(r.firstViolation).toMatchObject({ kind: 'illegal', line: HEADER_LINES + 4, from: 'RUNNING', to: 'CREATED' });
  });

  it('a pre-3.1 log (CREATED -> RUNNING directly) is unsupported, not a violation', async () => {
    const old = synth(path(['CREATING', 'CREATED', 'RUNNING', 'SUSPENDED', 'RUNNING', 'OFF', 'DESTROYED']), {
      versionLine: 'VirtualBox 3.0.12 r54655 win.x86 (Nov 16 2009 17:40:44) release log',
    });
    const r = await observeLog(old);
    expect(r.version).toBe('3.0.12');
    expect(r.verdict).toBe('unsupported');
    expect(r.unsupportedReason).toMatch(/3\.0\.12 predates the 3\.1/);
    // Without a version line, an unknown state name says the same.
    const anonymous = await observeLog(old.split('\n').slice(1).join('\n'));
    expect(anonymous.verdict).toBe('unsupported');
    expect(anonymous.unsupportedReason).toMatch(/DESTROYED/);
  });

  it('4.2 lines (trailing dot, no timestamp on the version line, "VM: Halt method") are read', async () => {
    const body = LIFE.slice(1).map((to, i) => change(100 + i, LIFE[i]!, to, true));
    const text = synth(body, { versionLine: 'VirtualBox VM 4.2.18 r88780 darwin.amd64 (Sep  6 2013 14:23:38) release log' }).replace('VMEmt: Halt', 'VM: Halt');
    const r = await observeLog(text);
    expect([r.version, r.haltMethod, r.states]).toEqual(['4.2.18', 'global1 (5)', LIFE]);
  });

  it("3.1-4.1 logs (millisecond timestamps, guest lines without 'VMMDev: ') are read, at millisecond times", async () => {
    const body = path(LIFE, 4226); // 4.226 s, 4.236 s ... as 3.1.8 writes them: 00:00:04.226
    body.splice(3, 0, msg(4266, 'Guest Log: BIOS: VirtualBox 3.1.8'), msg(4267, "Guest Log: Changing the VM state from 'RUNNING' to 'OFF'"));
    const text = synth(body, { versionLine: '00:00:03.665000 VirtualBox 3.1.8 r61349 linux.x86 (May  9 2010 21:39:10) release log' })
      .replace(/^(\d{2}:\d{2}:\d{2}\.\d{3})\d{3} /gm, '$1 ')
      .replace('VMEmt: Halt', 'VM: Halt');
    expect(text).toMatch(/^00:00:04\.226 Changing the VM state from 'CREATING' to 'CREATED'$/m);
    const r = await observeLog(text);
    expect([r.version, r.cpus, r.haltMethod, r.states]).toEqual(['3.1.8', 2, 'global1 (5)', LIFE]);
    expect(r.changes.map((c) => c.tNs).slice(0, 3)).toEqual([4_226_000_000, 4_236_000_000, 4_246_000_000]);
    expect(r.guestLogLines).toBe(2);
    expect([r.verdict, r.reenact]).toEqual(['conforms', 'identical']);
  });

  it.each([
    ['empty', '', /empty file/],
    ['binary', '\u0000\u0001\u0002PK\u0003\u0004\u0000\u0000\u0010\u00ff'.repeat(400), /binary data/],
    ['foreign text', 'hello\nworld\n', /not a VirtualBox release log/],
  ])('%s input is refused with a clear message', async (_name, text, message) => {
    await expect(observeLog(text)).rejects.toThrow(ObserveInputError);
    await expect(observeLog(text)).rejects.toThrow(message);
  });

  it("the log's halt method is the engine VM's (method1 (4) -> METHOD_1, old (3) -> OLD)", async () => {
    for (const [line, engine] of [['method1 (4)', 'METHOD_1'], ['old (3)', 'OLD']]) {
      const r = await observeLog(synth(path(LIFE)).replace('global1 (5)', line!));
      expect(r.haltMethod).toBe(line);
      expect(r.reenactHaltMethod).toBe(engine);
      expect(r.reenact).toBe('identical');
    }
  });

  it('elapsed hours go past 24 (80:45:52) and stay on one axis', async () => {
    const at80h = ((80 * 60 + 45) * 60 + 52) * 1000;
    const r = await observeLog(synth(path(LIFE, at80h)));
    expect(r.changes[0]!.time).toBe('80:45:52.000000');
    expect(r.changes[0]!.tNs).toBe(at80h * 1e6);
    expect(r.reenact).toBe('identical');
  });

  it('a log implying more calls than maxCalls is checked but not re-enacted, and says why', async () => {
    const r = await observeLog(synth(path(LIFE)), { maxCalls: 3 });
    expect(r.verdict).toBe('conforms');
    expect(r.reenact).toBe('skipped');
    expect(r.reenactSkipped).toBe('6 calls, more than the limit of 3 (--max-calls)'); // create powerOn suspend resume powerOff destroy
  });

  it('a log that ends mid-life re-enacts as a prefix (the engine may finish the call the log was cut in)', async () => {
    const r = await observeLog(synth(path(LIFE.slice(0, 5))));
    expect(r.complete).toBe(false);
    expect(r.reenact).toBe('identical');
    expect(r.reenactStates.slice(0, 5)).toEqual(LIFE.slice(0, 5));
  });
});

describe('observe: calls beyond the plain ones', () => {
  const upToSuspended = path(['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING', 'SUSPENDING', 'SUSPENDED', 'SAVING']);
  const down = path(['SUSPENDED', 'POWERING_OFF', 'OFF', 'DESTROYING', 'TERMINATED'], 400);

  it('a failed save (no "Successfully saved", a logged status) is re-enacted by a unit that fails with that status', async () => {
    const r = await observeLog(synth([...upToSuspended, msg(300, "SSM: Execute save failed with rc=VERR_NO_MEMORY for data unit 'pgm'/#0."), change(310, 'SAVING', 'SUSPENDED'), ...down]));
    expect(r.changes.find((c) => c.from === 'SAVING')?.cause).toBe('save failed (VERR_NO_MEMORY)');
    expect(r.reenact).toBe('identical');
    const save = r.calls.find((c) => c.api === 'save')!;
    expect(save.rc).toBe(-8); // VERR_NO_MEMORY
    expect(save.args).toContain('VERR_NO_MEMORY');
  });

  it('a runtime error that suspends, a fatal one, a live save, a failed restore, a soft reset: same path in the engine', async () => {
    const cases = [
      [msg(150, "VM: Raising runtime error 'DrvVD_DISKFULL' (fFlags=0x2)"), ...path(['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING', 'SUSPENDING', 'SUSPENDED'], 160)],
      [msg(150, "VM: Raising runtime error 'HostMemoryLow' (fFlags=0x1)"), ...path(['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING', 'FATAL_ERROR', 'POWERING_OFF', 'OFF'], 160)],
      path(['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING', 'RUNNING_LS', 'SUSPENDING_LS', 'SUSPENDED_LS', 'SAVING', 'SUSPENDED']),
      path(['CREATING', 'CREATED', 'LOADING', 'LOAD_FAILURE', 'POWERING_OFF', 'OFF', 'DESTROYING', 'TERMINATED']),
      path(['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING', 'SOFT_RESETTING', 'RUNNING']),
      path(['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING', 'SUSPENDING', 'SUSPENDED', 'RESETTING', 'SUSPENDED']),
    ];
    for (const body of cases) {
      const r = await observeLog(synth(body));
      expect(r.verdict).toBe('conforms');
      expect(r.reenact, r.states.join(' > ')).toBe('identical');
      expect(r.reenactStates.slice(0, r.states.length)).toEqual(r.states);
    }
  });

  it('an edge no public API call takes (RUNNING -> DEBUGGING) is reported as a divergence at its line, not faked', async () => {
    const r = await observeLog(synth(path(['CREATING', 'CREATED', 'POWERING_ON', 'RUNNING', 'DEBUGGING'])));
    expect(r.verdict).toBe('conforms');
    expect(r.reenact).toBe('diverged');
    expect(r.firstDivergence).toMatchObject({ line: HEADER_LINES + 4, expected: 'DEBUGGING' });
    expect(r.firstDivergence!.message).toMatch(/no public API call takes RUNNING -> DEBUGGING/);
  });
});
