/**
 * One receiver shape (src/sched/receiver.ts): a status, an operation's result and a progress percentage each go to
 * a function or to a record's named method. Goal: deliver() calls the function, or the record's method with the
 * record as `this`, exactly once, and never another method of a record that receives several kinds.
 */
import { describe, expect, it } from 'vitest';
import { deliver, type Receiver } from '../../src/sched/receiver.js';

/** A record that receives two kinds (as the save flow: its status and its progress). */
class Both {
  readonly heard: string[] = [];
  report(rc: number): void {
    this.heard.push(`report ${rc}`);
  }
  progressed(percent: number): void {
    this.heard.push(`progressed ${percent}`);
  }
}

describe('deliver', () => {
  it.each([
    ['report', -1907],
    ['progressed', 42],
  ] as const)('a record gets the value by its method %s only', (method, value) => {
    const record = new Both();
    deliver<number, typeof method>(record, method, value);
    expect(record.heard).toEqual([`${method} ${value}`]);
  });

  it('a function gets the value itself', () => {
    const got: number[] = [];
    const to: Receiver<number, 'report'> = (rc) => void got.push(rc);
    deliver(to, 'report', 7);
    expect(got).toEqual([7]);
  });
});
