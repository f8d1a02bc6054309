/**
 * A state key from the canonical walk (graph-walk.ts): one string that is equal for two graphs exactly when
 * their walks are equal. Objects are numbered by walk order and `history` and `transient` fields are left out
 * (by default), so two worlds that differ only in ids, counters or host attachments have one key. Every token
 * is self-delimiting (strings carry their length), so no two different walks spell the same key.
 */
import { encodeGraph, type GraphSink, type Primitive, type WalkOptions } from './graph-walk.js';
import type { EntryKind } from './graph-format.js';

/** The key of the graph reachable from `root` (skipHistory unless `options.skipHistory === false`). */
export function graphKey(root: unknown, options: WalkOptions = {}): string {
  const sink = new KeySink();
  encodeGraph(root, sink, { userName: options.userName, skipHistory: options.skipHistory !== false, now: options.now });
  return sink.text;
}

const TAGS = { constant: 'C', code: 'F', user: 'U' } as const;

class KeySink implements GraphSink {
  text = '';

  begin(_id: number, kind: EntryKind, name: string | undefined, frozen: boolean): void {
    this.text += name === undefined ? `{${kind}${frozen ? '!' : ''}` : `{${kind}${frozen ? '!' : ''}${name.length}:${name}`;
  }

  key(key: string): void {
    this.text += `.${key.length}:${key}`;
  }

  value(v: Primitive): void {
    switch (typeof v) {
      case 'string':
        this.text += `s${v.length}:${v}`;
        return;
      case 'number':
        this.text += Object.is(v, -0) ? 'n-0;' : `n${v};`;
        return;
      case 'bigint':
        this.text += `b${v};`;
        return;
      case 'boolean':
        this.text += v ? 'T' : 'F';
        return;
      default:
        this.text += v === null ? 'N' : 'U';
    }
  }

  ref(id: number): void {
    this.text += `@${id};`;
  }

  named(tag: 'constant' | 'code' | 'user', name: string): void {
    this.text += `${TAGS[tag]}${name.length}:${name}`;
  }

  hole(): void {
    this.text += '_';
  }

  bytes(data: Uint8Array): void {
    this.text += `x${data.byteLength}:${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64')}`;
  }

  end(): void {
    this.text += '}';
  }
}
