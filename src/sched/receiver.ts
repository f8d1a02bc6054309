/**
 * Who is told a value (a status, an operation's result, a progress percentage): a function, or a record with the
 * named method. A record is data: the state that waits holds it (a call reports as itself), so a world copy or a
 * snapshot binds no code per copy. The one shape for every such receiver, and the one way to tell it.
 */

/** A function, or a record whose method `M` takes the value. */
export type Receiver<T, M extends string> = ((value: T) => void) | { readonly [K in M]: (value: T) => void };

/** Hand `value` to `to` (its method `method` when it is a record). */
export function deliver<T, M extends string>(to: Receiver<T, M>, method: M, value: T): void {
  if (typeof to === 'function') to(value);
  else to[method](value);
}
