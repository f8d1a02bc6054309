/**
 * The clock port. GIP time is integer nanoseconds (a JS number: exact up to 104 days of uptime). The virtual
 * clock moves only when the scheduler says so; the real one reads the host's monotonic clock.
 */
export interface Clock {
  readonly kind: 'virtual' | 'real';
  /** Current GIP time in nanoseconds. */
  nowNs(): number;
}

export const NS_PER_MS = 1_000_000;
export const NS_PER_SEC = 1_000_000_000;
