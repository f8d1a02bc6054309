/**
 * An error crossing from a worker thread (the search thread, an explore worker) as data, and made again on the
 * caller's side: a structured clone would keep neither a VBoxError's status nor its class, and status codes are the contract.
 */
import { isVBoxError, VBoxError } from '../status.js';

/** A thread's error as data. `rc`: a VBoxError's status, else null. */
export interface ErrorAnswer {
  kind: 'error';
  rc: number | null;
  name: string;
  message: string;
  stack: string | undefined;
}

/** `error` (anything thrown) as an answer a thread can send. */
export function errorAnswer(error: unknown): ErrorAnswer {
  const e = error instanceof Error ? error : new Error(String(error));
  return { kind: 'error', rc: isVBoxError(e) ? e.rc : null, name: e.name, message: e.message, stack: e.stack };
}

/** The standard errors a search may throw, by name: one of them crosses as itself (a Map: no inherited names). */
const STANDARD = new Map<string, new (message: string) => Error>(
  [Error, RangeError, TypeError, SyntaxError, ReferenceError, EvalError, URIError].map((E) => [E.name, E]),
);

/**
 * The thread's error as thrown here, with its name, message and stack: a VBoxError keeps its status (the CLI tells
 * refused input by it), a standard error its class; another class comes back as an Error of its name.
 */
export function revived(answer: ErrorAnswer): Error {
  const error = answer.rc !== null ? new VBoxError(answer.rc, answer.message) : new (STANDARD.get(answer.name) ?? Error)(answer.message);
  if (error.name !== answer.name) Object.defineProperty(error, 'name', { value: answer.name, writable: true, configurable: true });
  if (answer.stack !== undefined) error.stack = answer.stack;
  return error;
}
