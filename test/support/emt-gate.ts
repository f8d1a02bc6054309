/**
 * EmtGate: holds an idle EMT. Request functions are synchronous and requests interrupt guest slices and halts,
 * so no public call keeps an EMT busy while time passes. The gate is a frame on top of an EMT's stack (what a
 * long wait inside a callee would be) that holds the EMT until the test releases it; meanwhile requests pile up
 * on its queues and a caller's finite timeout can expire.
 */
import { expect } from 'vitest';
import type { Emt, Frame } from '../../src/vmm/emt.js';

export class EmtGate implements Frame {
  readonly describe = 'test:gate';
  #open = false;

  constructor(readonly emt: Emt) {
    // Only an idle EMT may be gated, else the gate would sit on top of a half-done wait.
    expect(emt.frames).toHaveLength(0);
    expect(emt.state).toBe('waiting');
    emt.push(this);
  }

  canProgress(): boolean {
    return this.#open;
  }

  progress(): void {
    this.emt.pop(this);
  }

  release(): void {
    this.#open = true;
    this.emt.notify();
  }
}
