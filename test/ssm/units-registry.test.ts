/**
 * Goal: the unit registry behaves as ssmR3Register / SSMR3Deregister* and SSMR3Cancel do (vbox-facts.md §7.5,
 * §8.7): SSM's own units first, names of 1..47 bytes, duplicates refused, "before" insertion, cUnits, and the
 * three outcomes of SSMR3Cancel.
 *
 * Method: table-driven registrations on fresh registries, asserting exact statuses and the resulting order.
 */
import { describe, expect, it } from 'vitest';
import { ssmCancel, SsmHandle, SsmUnitRegistry } from '../../src/ssm/index.js';
import {
  VERR_INVALID_PARAMETER, VERR_OUT_OF_RANGE, VERR_SSM_ALREADY_CANCELLED, VERR_SSM_NO_PENDING_OPERATION, VERR_SSM_UNIT_EXISTS,
  VERR_SSM_UNIT_NOT_FOUND, VINF_SUCCESS,
} from '../../src/status.js';

const names = (r: SsmUnitRegistry): string[] => r.units.map((u) => `${u.name}#${u.instance}`);

describe('ssmR3Register', () => {
  it('starts with SSM\'s own units, "SSM" and "SSMLiveControl" (ssmR3LazyInit)', () => {
    const r = new SsmUnitRegistry();
    expect(names(r)).toEqual(['SSM#0', 'SSMLiveControl#0']);
    expect(r.cUnits).toBe(2);
    expect(new SsmUnitRegistry({ selfUnits: false }).cUnits).toBe(0);
  });

  it.each([
    ['an empty name', '', VERR_INVALID_PARAMETER],
    ['a 48-byte name', 'x'.repeat(48), VERR_OUT_OF_RANGE],
    ['a 47-char name of multi-byte characters', 'é'.repeat(24), VERR_OUT_OF_RANGE],
  ])('refuses %s', (_what, name, rc) => {
    const r = new SsmUnitRegistry();
    expect(() => r.register({ name, version: 1 })).toThrowError(expect.objectContaining({ rc }));
    expect(r.cUnits).toBe(2);
  });

  it('accepts a 47-byte name', () => {
    const r = new SsmUnitRegistry();
    r.register({ name: 'y'.repeat(47), version: 1 });
    expect(r.cUnits).toBe(3);
  });

  it('refuses a duplicate (name, instance) with VERR_SSM_UNIT_EXISTS but takes another instance', () => {
    const r = new SsmUnitRegistry();
    r.register({ name: 'pgm', instance: 0, version: 1 });
    expect(() => r.register({ name: 'pgm', instance: 0, version: 2 })).toThrowError(expect.objectContaining({ rc: VERR_SSM_UNIT_EXISTS }));
    r.register({ name: 'pgm', instance: 1, version: 1 });
    expect(r.cUnits).toBe(4);
  });

  it.each([
    ['appends without "before"', undefined, ['SSM#0', 'SSMLiveControl#0', 'a#0', 'b#0', 'new#0']],
    ['inserts in front of the first unit with that name', 'b', ['SSM#0', 'SSMLiveControl#0', 'a#0', 'new#0', 'b#0']],
    ['appends when "before" is not registered', 'zzz', ['SSM#0', 'SSMLiveControl#0', 'a#0', 'b#0', 'new#0']],
  ])('%s', (_what, before, order) => {
    const r = new SsmUnitRegistry();
    r.register({ name: 'a', version: 1 });
    r.register({ name: 'b', version: 1 });
    r.register({ name: 'new', version: 1, ...(before ? { before } : {}) });
    expect(names(r)).toEqual(order);
  });

  it('deregisters by name (and instance); an unknown name is VERR_SSM_UNIT_NOT_FOUND', () => {
    const r = new SsmUnitRegistry();
    r.register({ name: 'dev', instance: 0, version: 1 });
    r.register({ name: 'dev', instance: 1, version: 1 });
    expect(r.deregister('dev', 1)).toBe(VINF_SUCCESS);
    expect(names(r)).toContain('dev#0');
    expect(r.deregister('dev')).toBe(VINF_SUCCESS);
    expect(() => r.deregister('dev')).toThrowError(expect.objectContaining({ rc: VERR_SSM_UNIT_NOT_FOUND }));
  });
});

describe('SSMR3Cancel', () => {
  it('answers VERR_SSM_NO_PENDING_OPERATION, then VINF_SUCCESS, then VERR_SSM_ALREADY_CANCELLED', () => {
    const r = new SsmUnitRegistry();
    expect(ssmCancel(r)).toBe(VERR_SSM_NO_PENDING_OPERATION);
    r.cancellable = new SsmHandle({ after: 'DESTROY' });
    expect(ssmCancel(r)).toBe(VINF_SUCCESS);
    expect(r.cancellable.cancelled).toBe(0xdeadbeef);
    expect(ssmCancel(r)).toBe(VERR_SSM_ALREADY_CANCELLED);
  });
});
