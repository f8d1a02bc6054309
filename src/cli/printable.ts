/**
 * Text that came from a file or a peer, made safe for a terminal: C0 and C1 control characters and DEL (which
 * drive ANSI escape sequences: clear the screen, retitle the window, move the cursor) and the Unicode bidi
 * overrides are shown as \uXXXX escapes instead of being interpreted.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const escapeOne = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every control character escaped. */
export const printable = (text: string): string => text.replace(UNSAFE, escapeOne);

/**
 * JSON.stringify escapes C0 controls but leaves C1 controls (U+0080..U+009F, e.g. U+009B CSI) and bidi overrides
 * raw; they only occur inside strings, so escaping them in the text keeps it the same JSON.
 */
export const printableJson = (value: unknown, space?: number): string => JSON.stringify(value, null, space).replace(UNSAFE, escapeOne);
