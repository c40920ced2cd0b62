import type { Writable } from 'node:stream';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

// COPY from one server straight into another, CopyData messages forwarded as they arrived.
//
// pg-copy-streams' reader unwraps every CopyData message (binary COPY sends one per row) into its own
// Buffer and concatenates them again, and its writer wraps each chunk back into a message. For a
// table-to-table copy that per-row work was most of this process's CPU (1.5M rows: ~1.3 CPU s, a
// young-generation churn that showed up as peak RSS) and none of it is needed: the server reading
// COPY FROM STDIN accepts CopyData however the data is divided, so the source's messages can go to the
// target untouched. The reader below passes on socket chunks (subarrays, no copy), skipping only the
// few messages that are not CopyData; the writer sends what it is given as is. The two halves are used
// together and only together: the stream between them is protocol bytes, not COPY data.
// Both build on pg-copy-streams 7 (its query lifecycle, error and completion handling), replacing one
// method each; the version is pinned in package.json.

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'

interface CopyToInternals {
  _buffer: { push(chunk: Buffer): void };
  _forward(): void;
  _parse(chunk: Buffer): boolean;
  _detach(): void;
  _cleanup(): void;
  push(chunk: Buffer | null): boolean;
}

/** The source side: a Readable of framed CopyData messages for relayInto(). */
export function relayOutOf(text: string): ReturnType<typeof copyTo> {
  const stream = copyTo(text);
  const self = stream as unknown as CopyToInternals;
  // Parser state carried across socket chunks.
  let code = -1; // current message's type byte, -1 between messages
  let lengthBytes = 0; // how many of its 4 length bytes were seen
  let length = 0;
  let remaining = 0; // body bytes still to come
  // Once the stream is handed back to pg (error or end of COPY), nothing here may read from it again:
  // a chunk read after that would hold pg's CommandComplete/ReadyForQuery. So _parse returns false
  // (pg-copy-streams' read loop stops) and _forward is a no-op from then on.
  let detached = false;
  const forward = self._forward.bind(self);
  self._forward = () => {
    if (!detached) forward();
  };
  const detach = () => {
    detached = true;
    self._detach();
  };
  // Only whole CopyData messages are pushed: the bytes of one cut by the end of a socket chunk wait here
  // until it completes. When the source fails, the pipe drops what it had not written yet and the target
  // gets CopyFail; had it been left inside a message, it would read CopyFail as that message's body and
  // wait for the rest forever.
  let pending: Buffer[] = [];
  self._parse = (chunk: Buffer): boolean => {
    let drained = true;
    let pos = 0;
    // Start of this chunk's CopyData bytes not pushed yet (0 when a message continues from the last
    // chunk), and where the last whole message of the run ends.
    let runStart = code === COPY_DATA ? 0 : -1;
    let runEnd = -1;
    let messageStart = 0; // where the current message began in this chunk (0: in an earlier one)
    let firstEnd = -1; // where the message continued from earlier chunks ended in this one
    const flushRun = () => {
      if (runStart >= 0 && runEnd > runStart) {
        let from = runStart;
        if (pending.length > 0 && firstEnd > 0) {
          // Only the message that spanned chunks is copied together; the rest goes as a subarray.
          drained = self.push(Buffer.concat([...pending, chunk.subarray(0, firstEnd)])) && drained;
          pending = [];
          from = firstEnd;
        }
        if (runEnd > from) drained = self.push(chunk.subarray(from, runEnd)) && drained;
      }
      runStart = -1;
      runEnd = -1;
    };
    while (pos < chunk.length) {
      if (code === -1) {
        const type = chunk[pos] as number;
        if (type === ERROR_RESPONSE) {
          // Leave the error to pg, exactly as pg-copy-streams does: it parses the rest of the stream.
          flushRun();
          self._buffer.push(chunk.subarray(pos));
          detach();
          return false;
        }
        code = type;
        lengthBytes = 0;
        length = 0;
        messageStart = pos;
        if (code === COPY_DATA && runStart < 0) runStart = pos;
        if (code !== COPY_DATA) flushRun();
        pos++;
        continue;
      }
      if (lengthBytes < 4) {
        length = length * 256 + (chunk[pos] as number);
        lengthBytes++;
        pos++;
        if (lengthBytes === 4) remaining = length - 4;
      } else {
        const n = Math.min(remaining, chunk.length - pos);
        pos += n;
        remaining -= n;
      }
      if (lengthBytes === 4 && remaining === 0) {
        const ended = code;
        code = -1;
        if (ended === COPY_DATA) {
          if (firstEnd < 0 && pending.length > 0) firstEnd = pos;
          runEnd = pos;
        }
        if (ended === COPY_DONE) {
          flushRun();
          // CommandComplete and ReadyForQuery follow: pg reads them (and the row count) from here.
          if (pos < chunk.length) self._buffer.push(chunk.subarray(pos));
          detach();
          self.push(null);
          self._cleanup();
          return false;
        }
      }
    }
    // The chunk ended inside a CopyData message: push the whole ones before it, keep its bytes for later.
    const cut = code === COPY_DATA ? chunk.subarray(messageStart) : null;
    flushRun();
    if (cut) pending.push(cut);
    return drained;
  };
  return stream;
}

interface CopyFromInternals {
  connection: { stream: Writable } | null;
  flushChunk(chunk: Buffer): boolean;
}

/** The target side: COPY ... FROM STDIN fed with relayOutOf()'s framed messages. */
export function relayInto(text: string): ReturnType<typeof copyFrom> {
  const stream = copyFrom(text);
  const self = stream as unknown as CopyFromInternals;
  self.flushChunk = (chunk: Buffer): boolean => (self.connection as { stream: Writable }).stream.write(chunk);
  return stream;
}
