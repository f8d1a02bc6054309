import { describe, it, expect } from 'vitest';
import * as status from '../src/status.js';
import {
  STATUS_TABLE,
  VBoxError,
  VERR_GVM_TOO_MANY_VMS,
  VERR_VM_INVALID_VM_STATE,
  VERR_VM_REQUEST_KILLED,
  VINF_EM_FIRST,
  VINF_EM_LAST,
  VINF_EM_SUSPEND,
  VINF_EM_TERMINATE,
  VINF_SUCCESS,
  RT_FAILURE,
  RT_SUCCESS,
  isEmStatus,
  isVBoxError,
  statusByName,
  statusInfo,
  statusName,
  vboxError,
} from '../src/status.js';

/** Values stated in /work/shared/reference/vbox-facts.md. */
const KNOWN: ReadonlyArray<readonly [string, number]> = [
  ['VINF_SUCCESS', 0],
  ['VERR_VM_INVALID_VM_STATE', -1907],
  ['VERR_VM_REQUEST_KILLED', -1919],
  ['VERR_VM_REQUEST_TOO_MANY_ARGS_IPE', -1917],
  ['VERR_VM_REQUEST_STATUS_FREED', -1905],
  ['VERR_VM_UNEXPECTED_VM_STATE', -1915],
  ['VERR_SSM_CANCELLED', -1858],
  ['VERR_SSM_LIVE_POWERED_OFF', -1861],
  ['VINF_SSM_DONT_CALL_AGAIN', 1854],
  ['VINF_SSM_LIVE_SUSPENDED', 1864],
  ['VINF_EM_TERMINATE', 1100],
  ['VINF_EM_OFF', 1109],
  ['VINF_EM_SUSPEND', 1110],
  ['VINF_EM_RESET', 1111],
  ['VINF_EM_RESUME', 1113],
  ['VINF_EM_WAIT_SIPI', 1120],
  ['VERR_GVM_TOO_MANY_VMS', -3900],
  ['VINF_GVM_NOT_BLOCKED', 3901],
  ['VINF_GVM_NOT_BUSY_IN_GC', 3902],
  ['VINF_GVM_YIELDED', 3903],
  ['VERR_CFGM_CHILD_NOT_FOUND', -2101],
  ['VERR_CFGM_VALUE_NOT_FOUND', -2103],
];

const exported = status as unknown as Record<string, unknown>;
const codeExports = Object.keys(exported).filter((k) => /^V(ERR|INF|WRN)_/.test(k));

describe('status table', () => {
  it.each(KNOWN)('%s = %d', (name, rc) => {
    expect(exported[name]).toBe(rc);
    expect(statusByName(name)?.rc).toBe(rc);
    expect(statusName(rc)).toBe(name);
  });

  it('has exactly one primary name per value', () => {
    const primaries = new Map<number, string[]>();
    for (const [name, rc, , alias] of STATUS_TABLE) {
      if (alias) continue;
      primaries.set(rc, [...(primaries.get(rc) ?? []), name]);
    }
    const dupes = [...primaries].filter(([, names]) => names.length > 1);
    expect(dupes).toEqual([]);
    // every alias points at a value that has a primary name
    for (const [name, rc, , alias] of STATUS_TABLE) {
      if (alias) expect(primaries.has(rc), name).toBe(true);
    }
  });

  it('has unique names and non-empty messages', () => {
    const names = STATUS_TABLE.map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
    for (const [name, , message] of STATUS_TABLE) expect(message.length, name).toBeGreaterThan(0);
  });

  it('matches the exported constants both ways', () => {
    for (const k of codeExports) expect(statusByName(k)?.rc, k).toBe(exported[k]);
    for (const [name, rc] of STATUS_TABLE) expect(exported[name], name).toBe(rc);
    expect(codeExports.length).toBe(STATUS_TABLE.length);
  });

  it('uses VINF_ for rc >= 0 and VERR_ for rc < 0', () => {
    for (const [name, rc] of STATUS_TABLE) {
      expect(name.startsWith(rc < 0 ? 'VERR_' : 'VINF_') || name.startsWith('VWRN_'), name).toBe(true);
    }
  });
});

describe('lookups', () => {
  it('resolves aliases to the primary name', () => {
    expect(VINF_EM_FIRST).toBe(VINF_EM_TERMINATE);
    expect(statusName(VINF_EM_FIRST)).toBe('VINF_EM_TERMINATE');
    expect(statusName(VINF_EM_LAST)).toBe('VINF_EM_WAIT_SIPI');
    expect(statusByName('VINF_EM_FIRST')).toMatchObject({ rc: 1100, name: 'VINF_EM_FIRST' });
    expect(statusInfo(1100)?.name).toBe('VINF_EM_TERMINATE');
  });

  it('handles unknown codes', () => {
    expect(statusInfo(-123456)).toBeUndefined();
    expect(statusName(-123456)).toBe('rc=-123456');
    expect(statusByName('VERR_NO_SUCH_THING')).toBeUndefined();
  });

  it('classifies success, failure and EM statuses', () => {
    expect(RT_SUCCESS(VINF_SUCCESS)).toBe(true);
    expect(RT_SUCCESS(VINF_EM_SUSPEND)).toBe(true);
    expect(RT_FAILURE(VINF_EM_SUSPEND)).toBe(false);
    expect(RT_FAILURE(VERR_VM_INVALID_VM_STATE)).toBe(true);
    expect(isEmStatus(VINF_EM_FIRST)).toBe(true);
    expect(isEmStatus(VINF_EM_LAST)).toBe(true);
    expect(isEmStatus(1099)).toBe(false);
    expect(isEmStatus(1121)).toBe(false);
    expect(isEmStatus(VINF_SUCCESS)).toBe(false);
  });
});

describe('VBoxError', () => {
  it('carries rc, name and the table message', () => {
    const e = new VBoxError(VERR_VM_INVALID_VM_STATE);
    expect(e).toBeInstanceOf(VBoxError);
    expect(e).toBeInstanceOf(Error);
    expect(e.rc).toBe(-1907);
    expect(e.name).toBe('VERR_VM_INVALID_VM_STATE');
    expect(e.message).toBe(statusInfo(-1907)?.message);
    expect(e.stack).toBeTypeOf('string');
    expect(isVBoxError(e)).toBe(true);
    expect(isVBoxError(new Error('x'))).toBe(false);
    expect(isVBoxError({ rc: -1907 })).toBe(false);
  });

  it('accepts a custom message and serialises to JSON', () => {
    const e = vboxError(VERR_VM_REQUEST_KILLED, 'killed at shutdown');
    expect(e.message).toBe('killed at shutdown');
    expect(e.toJSON()).toEqual({ rc: -1919, name: 'VERR_VM_REQUEST_KILLED', message: 'killed at shutdown' });
    expect(JSON.parse(JSON.stringify(e))).toEqual(e.toJSON());
  });

  it('names unknown codes rc=<n>', () => {
    const e = new VBoxError(-99999);
    expect(e.name).toBe('rc=-99999');
    expect(e.rc).toBe(-99999);
    expect(e.message.length).toBeGreaterThan(0);
  });

  it('uses the primary name for aliased values', () => {
    expect(new VBoxError(VERR_GVM_TOO_MANY_VMS).name).toBe('VERR_GVM_TOO_MANY_VMS');
    expect(new VBoxError(VINF_EM_FIRST).name).toBe('VINF_EM_TERMINATE');
  });
});
