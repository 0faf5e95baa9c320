import { createInflate, type Inflate } from 'node:zlib';
import type { PdfActiveContentKind } from '@exemptions/shared';

/** PDF features that act when the file is opened, which a reviewer should know of before opening it. */
export type PdfActiveContent = PdfActiveContentKind;

/** The names that mark each kind, without their leading `/`. */
const MARKERS: ReadonlyMap<string, PdfActiveContent> = new Map([
  ['JavaScript', 'javascript'],
  ['JS', 'javascript'],
  ['Launch', 'launch_action'],
  ['EmbeddedFile', 'embedded_file'],
  ['EmbeddedFiles', 'embedded_file'],
  ['FileAttachment', 'embedded_file'],
]);
const KINDS: readonly PdfActiveContent[] = ['javascript', 'launch_action', 'embedded_file'];
const LONGEST_MARKER = Math.max(...[...MARKERS.keys()].map((name) => name.length));
/** Lengths some marker has: a name of any other length is not looked up. */
const MARKER_LENGTHS = new Set([...MARKERS.keys()].map((name) => name.length));

/**
 * Inflated stream contents scanned per stream and per file, at most: a bound on a decompression
 * bomb. A stream is scanned up to the first bound; once the second is spent, no further stream is
 * inflated (the file's own bytes are still scanned to the end).
 */
const MAX_INFLATED_PER_STREAM = 32 * 1024 * 1024;
const MAX_INFLATED_PER_FILE = 256 * 1024 * 1024;
/** Compressed bytes queued for the inflater before the writer waits. */
const QUEUED_BYTES = 1024 * 1024;

/** Bytes that end a PDF name: white space (as JavaScript's `\s` reads latin1) and the delimiters `/<>[]()%{}`. */
const ENDS_NAME = new Uint8Array(256);
for (const byte of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]) ENDS_NAME[byte] = 1;
for (const char of '/<>[](){}%') ENDS_NAME[char.charCodeAt(0)] = 1;

const HEX = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit += 1) {
  HEX['0123456789abcdef'.charCodeAt(digit)] = digit;
  HEX['0123456789ABCDEF'.charCodeAt(digit)] = digit;
}

const SLASH = 0x2f;
const HASH = 0x23;

function isLetter(byte: number): boolean {
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

/**
 * Finds marker names in a byte stream fed in pieces of any size. A name is `/` and the letters
 * after it, read once its `#xx` escapes are decoded (`/J#61vaScript` is `/JavaScript`), which is
 * how droppers hide from naive scanners. Exactly: the text is split into tokens, each a `/` and
 * the bytes up to the next white space or delimiter; each token's `#xx` escapes are decoded; a
 * name is every `/` of the decoded text with the letters that follow it (`/JSON` is not `/JS`;
 * `/A#2FJS` holds `/A` and `/JS`).
 */
class NameScanner {
  private inToken = false;
  /** 0: no escape under way; 1: after `#`; 2: after `#` and one hex digit (`digit`). */
  private escape = 0;
  private digit = 0;
  /** The letters of the name being read (up to the longest marker's length), and how many it has; -1 when none is being read. */
  private readonly letters = new Uint8Array(LONGEST_MARKER);
  private nameLength = -1;

  constructor(private readonly found: Set<PdfActiveContent>) {}

  scan(bytes: Buffer): void {
    const end = bytes.length;
    let index = 0;
    while (index < end) {
      if (!this.inToken) {
        // Outside a token only a `/` matters: let the native search skip to it.
        const slash = bytes.indexOf(SLASH, index);
        if (slash === -1) return;
        this.startToken();
        index = slash + 1;
        continue;
      }
      const byte = bytes[index] as number;
      index += 1;
      if (ENDS_NAME[byte] === 1) {
        this.endToken();
        if (byte === SLASH) this.startToken();
        continue;
      }
      this.decode(byte);
    }
  }

  /** The end of the text: a token running to it ends there. */
  finish(): void {
    if (this.inToken) this.endToken();
  }

  private startToken(): void {
    this.inToken = true;
    this.escape = 0;
    this.emit(SLASH);
  }

  private endToken(): void {
    // An escape cut short by the token's end stays as written.
    if (this.escape >= 1) this.emit(HASH);
    if (this.escape === 2) this.emit(this.digit);
    this.escape = 0;
    this.endName();
    this.inToken = false;
  }

  private decode(byte: number): void {
    if (this.escape === 0) {
      if (byte === HASH) this.escape = 1;
      else this.emit(byte);
      return;
    }
    if (this.escape === 1) {
      if (HEX[byte] !== -1) {
        this.digit = byte;
        this.escape = 2;
        return;
      }
      this.escape = 0;
      this.emit(HASH);
      this.decode(byte);
      return;
    }
    this.escape = 0;
    if (HEX[byte] !== -1) {
      this.emit((HEX[this.digit] as number) * 16 + (HEX[byte] as number));
      return;
    }
    this.emit(HASH);
    this.emit(this.digit);
    this.decode(byte);
  }

  /** One character of decoded text. */
  private emit(char: number): void {
    if (char === SLASH) {
      this.endName();
      this.nameLength = 0;
      return;
    }
    if (this.nameLength === -1) return;
    if (!isLetter(char)) {
      this.endName();
      return;
    }
    // Past the longest marker's length the letters are not kept, only counted: no marker is that long.
    if (this.nameLength < LONGEST_MARKER) this.letters[this.nameLength] = char;
    this.nameLength += 1;
  }

  private endName(): void {
    if (MARKER_LENGTHS.has(this.nameLength)) {
      const kind = MARKERS.get(String.fromCharCode(...this.letters.subarray(0, this.nameLength)));
      if (kind !== undefined) this.found.add(kind);
    }
    this.nameLength = -1;
  }
}

/** One Flate stream, inflated as its compressed bytes arrive, its output scanned for names as it comes. */
class InflatedStream {
  private readonly inflate: Inflate;
  private readonly names: NameScanner;
  private produced = 0;
  private stopped = false;
  /** Settles when the inflater is done for good: its end, an error (not Flate data, truncated), or a stop. */
  private readonly closed: Promise<void>;

  constructor(
    found: Set<PdfActiveContent>,
    private readonly budget: { left: number },
  ) {
    this.names = new NameScanner(found);
    // Larger output pieces than zlib's 16 KiB: a quarter of the callbacks for the same bytes.
    this.inflate = createInflate({ chunkSize: 64 * 1024 });
    this.closed = new Promise<void>((resolve) => {
      this.inflate.once('end', resolve);
      this.inflate.once('close', resolve);
      // Not Flate data (images, other filters) or cut short: the rest of it is skipped.
      this.inflate.once('error', () => {
        this.stopped = true;
        resolve();
      });
    });
    this.inflate.on('data', (output: Buffer) => {
      if (this.stopped) return;
      const room = Math.min(MAX_INFLATED_PER_STREAM - this.produced, this.budget.left);
      const scanned = output.length > room ? output.subarray(0, room) : output;
      this.produced += scanned.length;
      this.budget.left -= scanned.length;
      this.names.scan(scanned);
      if (output.length > room) this.stop();
    });
  }

  /**
   * Queues compressed bytes for the inflater, which reads them from `data` as it gets to them
   * (on libuv's thread pool): the caller keeps going meanwhile and must not change them.
   */
  write(data: Buffer): void {
    if (this.stopped || data.length === 0) return;
    this.inflate.write(data);
  }

  /** Waits while more than `QUEUED_BYTES` wait for the inflater, so a fast writer cannot pile up work. */
  async settle(): Promise<void> {
    if (this.stopped || this.inflate.writableLength < QUEUED_BYTES) return;
    await Promise.race([new Promise<void>((resolve) => this.inflate.once('drain', () => resolve())), this.closed]);
  }

  /** The stream's end (`endstream`, or the file's): the inflater's last output is scanned too. */
  async end(): Promise<void> {
    if (!this.stopped) this.inflate.end();
    await this.closed;
    this.names.finish();
  }

  private stop(): void {
    this.stopped = true;
    this.inflate.destroy();
  }
}

const STREAM = Buffer.from('stream', 'latin1');
const ENDSTREAM = Buffer.from('endstream', 'latin1');
const CR = 0x0d;
const LF = 0x0a;
/** Enough of a piece to finish any keyword (and its end of line) begun in the bytes held before it. */
const SEAM_BYTES = 32;

/**
 * Which kinds of active content a PDF holds: JavaScript, launch actions (run a program), and
 * embedded files. A flag is a warning for the reviewer, not a verdict: the file is kept and
 * served only as a download, never rendered in our pages.
 *
 * The file is fed in pieces of any size, as it arrives (`write`), and read once, in constant
 * memory: its bytes are scanned for marker names, and every stream in it (from `stream` and its
 * end of line to the next `endstream`) is inflated as Flate data, since PDF 1.5 keeps objects
 * (actions included) inside compressed object streams, invisible in the raw bytes; the inflated
 * bytes are scanned the same way. Streams that are not Flate data fail to inflate and are skipped.
 */
export class PdfActiveContentScanner {
  private readonly found = new Set<PdfActiveContent>();
  private readonly raw = new NameScanner(this.found);
  private readonly budget = { left: MAX_INFLATED_PER_FILE };
  /** The last few bytes written, already scanned for names but not yet placed: a `stream`/`endstream` keyword may start in them. */
  private held: Buffer = Buffer.alloc(0);
  private stream: InflatedStream | null = null;

  /**
   * Scans the file's next piece. The piece is read later too (its stream data, by the inflater):
   * it must not change once written.
   */
  async write(chunk: Buffer): Promise<void> {
    this.raw.scan(chunk);
    let from = 0;
    if (this.held.length > 0) {
      // First what the held bytes start, with just enough of this piece to decide.
      const held = this.held;
      const seam = Buffer.concat([held, chunk.subarray(0, SEAM_BYTES)]);
      const stopped = await this.place(seam, 0, held.length);
      if (stopped < held.length) {
        // Still undecided: this (short) piece is all in the seam, which waits for the next.
        this.held = Buffer.from(seam.subarray(stopped));
        return;
      }
      from = stopped - held.length;
    }
    const stopped = await this.place(chunk, from, chunk.length);
    // A copy: the few bytes kept must outlive the caller's piece.
    this.held = Buffer.from(chunk.subarray(stopped));
    await this.stream?.settle();
  }

  /** The kinds found, in a fixed order, once the whole file has been written. */
  async end(): Promise<PdfActiveContent[]> {
    if (this.stream !== null) {
      this.stream.write(this.held);
      await this.stream.end();
      this.stream = null;
    }
    this.held = Buffer.alloc(0);
    this.raw.finish();
    return KINDS.filter((kind) => this.found.has(kind));
  }

  /**
   * Finds the `stream` and `endstream` keywords in `bytes` from `from`, starting streams and
   * handing their data to the inflater. Only keywords that start before `limit` count. Returns
   * where it stopped: the bytes from there on may start a keyword and wait for more.
   */
  private async place(bytes: Buffer, from: number, limit: number): Promise<number> {
    let position = from;
    for (;;) {
      if (this.stream === null) {
        const at = bytes.indexOf(STREAM, position);
        if (at === -1 || at >= limit) return Math.max(position, Math.min(limit, bytes.length - (STREAM.length - 1)));
        const eol = at + STREAM.length;
        // The keyword's end of line decides; wait for it if it has not come yet.
        if (eol >= bytes.length || (bytes[eol] === CR && eol + 1 >= bytes.length)) return at;
        const start = bytes[eol] === LF ? eol + 1 : bytes[eol] === CR && bytes[eol + 1] === LF ? eol + 2 : -1;
        if (start === -1) {
          position = at + 1;
          continue;
        }
        this.stream = new InflatedStream(this.found, this.budget);
        position = start;
        continue;
      }
      const at = bytes.indexOf(ENDSTREAM, position);
      if (at === -1 || at >= limit) {
        // The last bytes may be the start of `endstream`: they wait for the next piece.
        const until = Math.max(position, Math.min(limit, bytes.length - (ENDSTREAM.length - 1)));
        this.stream.write(bytes.subarray(position, until));
        return until;
      }
      this.stream.write(bytes.subarray(position, at));
      await this.stream.end();
      this.stream = null;
      // Past the keyword, so the `stream` inside `endstream` does not start another.
      position = at + ENDSTREAM.length;
    }
  }
}

/** The active content of a whole file, given as one buffer or as the pieces it arrived in. */
export async function pdfActiveContent(content: Buffer | readonly Buffer[]): Promise<PdfActiveContent[]> {
  const scanner = new PdfActiveContentScanner();
  for (const piece of Buffer.isBuffer(content) ? [content] : content) await scanner.write(piece);
  return scanner.end();
}
