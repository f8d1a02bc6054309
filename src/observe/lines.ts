/**
 * Lines of a VBox.log, from a string or from a file read as a stream: CRLF and LF both end a line, a line
 * longer than MAX_LINE is cut there (a binary file without newlines must not grow one string to its size),
 * and memory stays bounded by one chunk plus one line whatever the file's size.
 */
import { createReadStream } from 'node:fs';

/** Longer lines are cut: no VirtualBox line we read is anywhere near this. */
export const MAX_LINE = 64 * 1024;
/** Read chunk for files. */
const CHUNK = 1 << 20;

export type LineSink = (line: string, lineNo: number) => void;

/** Splits chunks of text into lines (1-based numbers), CR before LF dropped. */
export class LineSplitter {
  #rest = '';
  #cut = false;
  #lineNo = 0;

  constructor(readonly sink: LineSink) {}

  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.#append(chunk.slice(start, nl));
      this.#emit();
      start = nl + 1;
    }
    this.#append(chunk.slice(start));
  }

  /** The last line, when the file does not end with a newline. */
  end(): void {
    if (this.#rest !== '' || this.#cut) this.#emit();
  }

  get lines(): number {
    return this.#lineNo;
  }

  #append(part: string): void {
    if (this.#cut || part === '') return;
    if (this.#rest.length + part.length > MAX_LINE) {
      this.#rest += part.slice(0, MAX_LINE - this.#rest.length);
      this.#cut = true;
    } else this.#rest += part;
  }

  #emit(): void {
    const line = this.#rest.endsWith('\r') ? this.#rest.slice(0, -1) : this.#rest;
    this.#rest = '';
    this.#cut = false;
    this.sink(line, ++this.#lineNo);
  }
}

/** Every line of a string. */
export function splitText(text: string, sink: LineSink): number {
  const splitter = new LineSplitter(sink);
  splitter.push(text);
  splitter.end();
  return splitter.lines;
}

/** Every line of a file, read as a stream; resolves with the byte count. `onBytes` sees the raw chunks first. */
export async function readFileLines(path: string, sink: LineSink, onBytes?: (chunk: Buffer) => void): Promise<number> {
  const splitter = new LineSplitter(sink);
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    onBytes?.(buf);
    splitter.push(decoder.decode(buf, { stream: true }));
  }
  splitter.push(decoder.decode());
  splitter.end();
  return bytes;
}
