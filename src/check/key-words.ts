/**
 * The snapshot state key's vocabulary: the tag word that starts each kind of item, and string hashes (bounded
 * cache) for the short strings a world repeats.
 */
import { stringHash } from './labels.js';

/** Words that start each kind of item (any 32-bit data word follows its tag). */
export const enum Tag {
  Undefined = 0x7e000001, Null, False, True, Int, Double, String, BigInt, Ref, Named, Hole, Bytes, Begin, End, Key, Shape, New, Code, Frozen,
}

/** Hashes of the short strings a world repeats (field names, state names, labels); bounded. */
const hashes = new Map<string, number>();
export function hashOf(text: string): number {
  let h = hashes.get(text);
  if (h === undefined) {
    h = stringHash(text);
    if (text.length <= 64 && hashes.size < 100_000) hashes.set(text, h);
  }
  return h;
}

/** The kind words of the walk's Begin items. */
export const KIND = { object: hashOf('object'), 'null-object': hashOf('null-object'), array: hashOf('array'), map: hashOf('map'), set: hashOf('set'), class: hashOf('class'), saved: hashOf('saved') };
