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
const KINDS: readonly PdfActiveContent[] = ['javascript', 'launch_action', 'embedded_file', 'not_fully_inspected'];

/**
 * What a reader needs in a stream's dictionary to read objects out of it (`/N` and `/First`; pdf.js
 * reads any stream that has them as an object stream, whatever its `/Type`), and the type's own
 * name. Seen anywhere near a stream, even in a string or a comment, they make the stream inspected.
 */
const OBJECT_STREAM = 'object_stream';
type NameHit = PdfActiveContent | typeof OBJECT_STREAM;
const RAW_NAMES: ReadonlyMap<string, NameHit> = new Map<string, NameHit>([...MARKERS, ['N', OBJECT_STREAM], ['First', OBJECT_STREAM], ['Extends', OBJECT_STREAM], ['ObjStm', OBJECT_STREAM]]);

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

/** A running hash of a name's or token's bytes, to look it up without building a string for it. */
const hashStep = (hash: number, byte: number): number => (Math.imul(hash, 31) + byte) | 0;

function isLetter(byte: number): boolean {
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

/**
 * Finds the names of a table (the markers, say) in a byte stream fed in pieces of any size. A
 * name is `/` and the letters after it, read once its `#xx` escapes are decoded (`/J#61vaScript`
 * is `/JavaScript`), which is how droppers hide from naive scanners. Exactly: the text is split
 * into tokens, each a `/` and the bytes up to the next white space or delimiter; each token's
 * `#xx` escapes are decoded; a name is every `/` of the decoded text with the letters that
 * follow it (`/JSON` is not `/JS`; `/A#2FJS` holds `/A` and `/JS`).
 */
class NameScanner<Hit> {
  private inToken = false;
  /** 0: no escape under way; 1: after `#`; 2: after `#` and one hex digit (`digit`). */
  private escape = 0;
  private digit = 0;
  /** The letters of the name being read (up to the longest name's length), and how many it has; -1 when none is being read. */
  private readonly letters: Uint8Array;
  private nameLength = -1;
  private hash = 0;
  private readonly longest: number;
  /** The names looked for, by the hash of their letters. */
  private readonly byHash = new Map<number, { readonly name: string; readonly found: Hit }>();
  /** Lengths some name looked for has: a name of any other length is not looked up. */
  private readonly lengths: ReadonlySet<number>;

  constructor(
    names: ReadonlyMap<string, Hit>,
    private readonly hit: (found: Hit) => void,
  ) {
    this.longest = Math.max(...[...names.keys()].map((name) => name.length));
    this.lengths = new Set([...names.keys()].map((name) => name.length));
    this.letters = new Uint8Array(this.longest);
    for (const [name, found] of names) {
      let hash = 0;
      for (let index = 0; index < name.length; index += 1) hash = hashStep(hash, name.charCodeAt(index));
      if (this.byHash.has(hash)) throw new Error(`two names share a hash: ${name}`);
      this.byHash.set(hash, { name, found });
    }
  }

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
      this.hash = 0;
      return;
    }
    if (this.nameLength === -1) return;
    if (!isLetter(char)) {
      this.endName();
      return;
    }
    // Past the longest name's length the letters are not kept, only counted: no name looked for is that long.
    if (this.nameLength < this.longest) this.letters[this.nameLength] = char;
    this.nameLength += 1;
    this.hash = hashStep(this.hash, char);
  }

  private endName(): void {
    const entry = this.lengths.has(this.nameLength) ? this.byHash.get(this.hash) : undefined;
    if (entry !== undefined && entry.name.length === this.nameLength && this.lettersAre(entry.name)) this.hit(entry.found);
    this.nameLength = -1;
  }

  private lettersAre(name: string): boolean {
    for (let index = 0; index < name.length; index += 1) if (this.letters[index] !== name.charCodeAt(index)) return false;
    return true;
  }
}

/** The two bytes a zlib stream starts with: deflate, a window of at most 32 KiB, a valid check, no preset dictionary. */
function isZlibHeader(cmf: number, flg: number): boolean {
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0 && (flg & 0x20) === 0;
}

/** PDF white space: NUL, tab, line feed, form feed, carriage return, space. */
const WHITE = new Uint8Array(256);
for (const byte of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WHITE[byte] = 1;
/** PDF delimiters. */
const DELIMITER = new Uint8Array(256);
for (const char of '()<>[]{}/%') DELIMITER[char.charCodeAt(0)] = 1;

/**
 * One stream's data, inflated as it arrives (zlib on the thread pool), its output scanned for
 * names as it comes. White space before the data is skipped (a zlib stream never starts with
 * it), and data that does not start with a zlib header is not inflated at all.
 */
class InflatedStream {
  private inflate: Inflate | null = null;
  private readonly names: NameScanner<PdfActiveContent>;
  private readonly header = Buffer.alloc(2);
  private headerLength = 0;
  private produced = 0;
  /** Not inflated to its end: not Flate data, cut short, or stopped at a limit. */
  private incomplete = false;
  private closed: Promise<void> = Promise.resolve();

  constructor(
    private readonly found: Set<PdfActiveContent>,
    private readonly budget: { left: number },
    /** Also given the inflated bytes (an object stream's, to learn which streams are page contents). */
    private readonly syntax: PdfSyntax | null = null,
  ) {
    this.names = new NameScanner(MARKERS, (kind) => found.add(kind));
  }

  /**
   * Queues compressed bytes for the inflater, which reads them from `data` as it gets to them
   * (on libuv's thread pool): the caller keeps going meanwhile and must not change them.
   */
  write(data: Buffer): void {
    if (this.incomplete || data.length === 0) return;
    let rest = data;
    if (this.inflate === null) {
      let from = 0;
      while (from < data.length && this.headerLength < 2) {
        const byte = data[from] as number;
        from += 1;
        if (this.headerLength === 0 && WHITE[byte] === 1) continue;
        this.header[this.headerLength] = byte;
        this.headerLength += 1;
      }
      if (this.headerLength < 2) return;
      if (!isZlibHeader(this.header[0] as number, this.header[1] as number)) {
        this.incomplete = true;
        return;
      }
      this.start(this.header);
      rest = data.subarray(from);
    }
    if (rest.length > 0) this.inflate?.write(rest);
  }

  /** Waits while more than `QUEUED_BYTES` wait for the inflater, so a fast writer cannot pile up work. */
  async settle(): Promise<void> {
    const inflate = this.inflate;
    if (inflate === null || this.incomplete || inflate.writableLength < QUEUED_BYTES) return;
    await Promise.race([new Promise<void>((resolve) => inflate.once('drain', () => resolve())), this.closed]);
  }

  /** The stream's end: the inflater's last output is scanned too. True when the data was inflated whole. */
  async end(): Promise<boolean> {
    if (this.inflate === null) {
      this.incomplete = true;
    } else if (!this.incomplete) {
      this.inflate.end();
    }
    await this.closed;
    this.names.finish();
    this.syntax?.finish();
    return !this.incomplete;
  }

  /** Starts the inflater, with the zlib header already read. */
  private start(header: Buffer): void {
    // Larger output pieces than zlib's 16 KiB: a quarter of the callbacks for the same bytes.
    const inflate = createInflate({ chunkSize: 64 * 1024 });
    this.inflate = inflate;
    this.closed = new Promise<void>((resolve) => {
      inflate.once('end', resolve);
      inflate.once('close', resolve);
      // Not Flate data after all, or cut short: the rest of it is skipped.
      inflate.once('error', () => {
        this.incomplete = true;
        resolve();
      });
    });
    inflate.on('data', (output: Buffer) => {
      if (this.incomplete) return;
      const room = Math.min(MAX_INFLATED_PER_STREAM - this.produced, this.budget.left);
      const scanned = output.length > room ? output.subarray(0, room) : output;
      this.produced += scanned.length;
      this.budget.left -= scanned.length;
      this.names.scan(scanned);
      if (this.syntax !== null) for (let at = 0; at < scanned.length; ) at = this.syntax.feed(scanned, at, scanned.length).stop;
      if (output.length > room) {
        // What lies past a limit is unseen: an object stream padded to it, or streams after a file's
        // worth of decompression bombs, could hold anything, so the reviewer is told.
        this.found.add('not_fully_inspected');
        this.incomplete = true;
        inflate.destroy();
      }
    });
    inflate.write(header);
  }
}

/** The bytes that end a comment or may begin a keyword in it; the same in a string, with its escape and parentheses. */
const COMMENT_STOPS = new Uint8Array(256);
for (const char of '\r\nse') COMMENT_STOPS[char.charCodeAt(0)] = 1;
const STRING_STOPS = new Uint8Array(256);
for (const char of '()\\se') STRING_STOPS[char.charCodeAt(0)] = 1;

/** What a stream's dictionary says, as far as the choice to inspect it goes. */
type StreamVerdict = 'skip' | 'inspect';

/** What `PdfSyntax.feed` stopped at. */
type SyntaxEvent =
  | { readonly kind: 'none' }
  /** The `stream` keyword of an object whose dictionary was read: its data starts at the stop. */
  | { readonly kind: 'stream'; readonly verdict: StreamVerdict }
  /** The bytes `stream` where the syntax does not expect a stream (in a string, a comment, after an unreadable dictionary): data may start at the stop. */
  | { readonly kind: 'maybe-stream' }
  /** The bytes `endstream`, just before the stop. */
  | { readonly kind: 'endstream-text' }
  /** An `endobj` keyword ends just before the stop. */
  | { readonly kind: 'endobj' };

const NONE: SyntaxEvent = { kind: 'none' };

const NORMAL = 0;
const COMMENT = 1;
const STRING = 2;
const HEX_STRING = 3;
const NAME = 4;
const REGULAR = 5;

const DICT = 1;
const ARRAY = 2;
const MAX_NESTING = 64;
/** Page content streams remembered, at most (a bound on memory; past it, more streams are inspected). */
const MAX_CONTENT_STREAMS = 10_000;
/** Characters of a token or name kept: enough for every keyword and name the syntax compares. */
const TOKEN_BYTES = 16;

/**
 * The keywords and names the syntax compares tokens with. A token is matched by a hash of its
 * bytes, computed as they come, and then checked byte by byte: a string is built for no token.
 */
const WORDS = ['stream', 'endobj', 'obj', 'R', 'Contents', 'ObjStm', 'Type', 'Subtype', 'N', 'First', 'Extends', 'Length1', 'Length2', 'Length3', 'XObject', 'Image', 'Form', 'XRef', 'Metadata', 'XML', 'Type1C', 'CIDFontType0C', 'OpenType'];
/** Any other token or name. */
const OTHER = '';
const WORD_BY_HASH = new Map<number, string>();
for (const word of WORDS) {
  let hash = 0;
  for (let index = 0; index < word.length; index += 1) hash = hashStep(hash, word.charCodeAt(index));
  if (WORD_BY_HASH.has(hash)) throw new Error(`two words share a hash: ${word}`);
  WORD_BY_HASH.set(hash, word);
}

const STREAM_KEYWORD = Buffer.from('stream', 'latin1');
const ENDSTREAM_KEYWORD = Buffer.from('endstream', 'latin1');

/** Dictionaries of streams that cannot hold objects, by `/Type` (null: absent) and `/Subtype`. */
function cannotHoldObjects(type: string | null, subtype: string | null, fontLengths: boolean): boolean {
  const xobject = type === null || type === 'XObject';
  if (xobject && (subtype === 'Image' || subtype === 'Form')) return true; // pixels; a form's content stream
  if (type === 'XRef' && subtype === null) return true;
  if (type === 'Metadata' && (subtype === null || subtype === 'XML')) return true;
  // Font programs: FontFile3's subtypes, or FontFile/FontFile2's /Length1–3.
  if (type === null && (subtype === 'Type1C' || subtype === 'CIDFontType0C' || subtype === 'OpenType')) return true;
  return type === null && subtype === null && fontLengths;
}

/**
 * Reads the PDF syntax outside stream data, just far enough to tell what each stream is: a
 * lexer (comments, literal and hex strings, names with `#xx` escapes, other tokens), the
 * nesting of dictionaries and arrays, each object's `N G obj` header and the top level of its
 * dictionary. It also remembers the streams that pages name as their `/Contents`. Fed in
 * pieces of any size; constant memory.
 *
 * A stream is read as one only at a `stream` keyword that ends a dictionary right after an
 * object's header, with no other token between: anything else (the bytes `stream` in a string,
 * in a comment, or after something unreadable) is reported as a mere possibility.
 */
class PdfSyntax {
  private state = NORMAL;
  /** A `<` or `>` waiting for the next byte, to tell `<<` from a hex string and `>>` from a stray `>`. */
  private pendingAngle = 0;
  private stringDepth = 0;
  private stringEscape = false;
  private readonly token = new Uint8Array(TOKEN_BYTES);
  private tokenLength = 0;
  private tokenHash = 0;
  /** The token's value while it is all digits (at most 10), else -1. */
  private tokenNumber = -1;
  private nameEscape = 0;
  private nameDigit = 0;
  private readonly nesting = new Uint8Array(MAX_NESTING);
  private depth = 0;
  /** Nesting too deep to follow, or closed by the wrong bracket: the object's dictionary is not trusted. */
  private lost = false;

  // The object being read: its header, then its dictionary's top level.
  private previous = -1;
  private beforePrevious = -1;
  private objectNumber = -1;
  /** 0: no dictionary yet; 1: in the object's dictionary; 2: it has just closed; 3: something else came. */
  private dictionaryState = 0;
  private type: string | null = null;
  private subtype: string | null = null;
  private typeKeys = 0;
  private subtypeKeys = 0;
  private irregular = false;
  private objectKeys = false;
  private fontLengths = false;
  private key: string | null = null;
  private valueTokens = 0;

  /** After `/Contents`: 1 waiting for its value, 2 in its array; `numbers` holds the integers just read. */
  private contents = 0;
  private readonly numbers: number[] = [];

  // The bytes `stream` and `endstream`, wherever they are.
  private streamMatched = 0;
  private endstreamMatched = 0;
  private afterStreamText = false;

  constructor(
    /** Object numbers of page content streams, shared with the syntax of inflated object streams. */
    private readonly contentStreams: Set<number>,
  ) {}

  /**
   * Reads `bytes` from `from` to `to`, stopping early at an event. Returns where it stopped and
   * what it stopped at; the bytes before the stop have been read.
   */
  feed(bytes: Buffer, from: number, to: number): { stop: number; event: SyntaxEvent } {
    for (let index = from; index < to; index += 1) {
      if ((this.state === COMMENT || this.state === STRING) && this.streamMatched === 0 && this.endstreamMatched === 0 && !this.afterStreamText) {
        // Inside a comment or a string only a few bytes matter (its end, nesting, escapes, and the
        // first letters of `stream` and `endstream`): skip the others in a tight loop.
        const stops = this.state === COMMENT ? COMMENT_STOPS : STRING_STOPS;
        while (index < to && stops[bytes[index] as number] === 0) index += 1;
        if (index === to) break;
      }
      const byte = bytes[index] as number;
      const ends = WHITE[byte] === 1 || DELIMITER[byte] === 1;
      if (this.state === REGULAR && ends) {
        this.state = NORMAL;
        const event = this.endRegular();
        if (event !== NONE) {
          this.afterStreamText = false;
          return { stop: index, event };
        }
      }
      if (this.afterStreamText) {
        this.afterStreamText = false;
        if (ends) return { stop: index, event: { kind: 'maybe-stream' } };
      }
      this.matchKeywords(byte);
      this.read(byte, ends);
      if (this.endstreamMatched === ENDSTREAM_KEYWORD.length) {
        this.endstreamMatched = 0;
        return { stop: index + 1, event: { kind: 'endstream-text' } };
      }
    }
    return { stop: to, event: NONE };
  }

  /** The end of the text: a token running to it ends there. */
  finish(): void {
    if (this.state === REGULAR) {
      this.state = NORMAL;
      this.endRegular();
    } else if (this.state === NAME) {
      this.state = NORMAL;
      this.endName();
    }
  }

  /** After a stream's data and its `endstream`: the syntax carries on at the top level, as after any object's end. */
  afterStream(): void {
    this.state = NORMAL;
    this.pendingAngle = 0;
    this.depth = 0;
    this.lost = false;
    this.endObject();
    this.streamMatched = 0;
    this.endstreamMatched = 0;
    this.afterStreamText = false;
  }

  private matchKeywords(byte: number): void {
    this.endstreamMatched = byte === ENDSTREAM_KEYWORD[this.endstreamMatched] ? this.endstreamMatched + 1 : byte === ENDSTREAM_KEYWORD[0] ? 1 : 0;
    this.streamMatched = byte === STREAM_KEYWORD[this.streamMatched] ? this.streamMatched + 1 : byte === STREAM_KEYWORD[0] ? 1 : 0;
    if (this.streamMatched === STREAM_KEYWORD.length) {
      this.streamMatched = 0;
      // `endstream` ends a stream, it never starts one.
      if (this.endstreamMatched !== ENDSTREAM_KEYWORD.length) this.afterStreamText = true;
    }
  }

  private read(byte: number, ends: boolean): void {
    switch (this.state) {
      case COMMENT:
        if (byte === 0x0a || byte === 0x0d) this.state = NORMAL;
        return;
      case STRING:
        if (this.stringEscape) this.stringEscape = false;
        else if (byte === 0x5c) this.stringEscape = true;
        else if (byte === 0x28) this.stringDepth += 1;
        else if (byte === 0x29) {
          this.stringDepth -= 1;
          if (this.stringDepth === 0) this.state = NORMAL;
        }
        return;
      case HEX_STRING:
        if (byte === 0x3e) this.state = NORMAL;
        return;
      case NAME:
        if (!ends) {
          this.nameByte(byte);
          return;
        }
        this.state = NORMAL;
        this.endName();
        break;
      case REGULAR:
        if (this.tokenLength < TOKEN_BYTES) this.token[this.tokenLength] = byte;
        this.tokenLength += 1;
        this.tokenHash = hashStep(this.tokenHash, byte);
        if (this.tokenNumber >= 0) this.tokenNumber = byte >= 0x30 && byte <= 0x39 && this.tokenLength <= 10 ? this.tokenNumber * 10 + (byte - 0x30) : -1;
        return;
    }
    this.normal(byte);
  }

  /** A byte outside any token. */
  private normal(byte: number): void {
    if (this.pendingAngle !== 0) {
      const angle = this.pendingAngle;
      this.pendingAngle = 0;
      if (angle === 0x3c && byte === 0x3c) return this.open(DICT);
      if (angle === 0x3e && byte === 0x3e) return this.close(DICT);
      if (angle === 0x3c) {
        this.value();
        this.state = HEX_STRING;
        if (byte === 0x3e) this.state = NORMAL;
        return;
      }
      // A lone `>`: not PDF.
      this.lost = true;
    }
    if (WHITE[byte] === 1) return;
    switch (byte) {
      case 0x25:
        this.state = COMMENT;
        return;
      case 0x28:
        this.value();
        this.state = STRING;
        this.stringDepth = 1;
        this.stringEscape = false;
        return;
      case 0x3c:
      case 0x3e:
        this.pendingAngle = byte;
        return;
      case 0x5b:
        return this.open(ARRAY);
      case 0x5d:
        return this.close(ARRAY);
      case 0x2f:
        this.state = NAME;
        this.tokenLength = 0;
        this.tokenHash = 0;
        this.nameEscape = 0;
        return;
      case 0x29:
      case 0x7b:
      case 0x7d:
        this.lost = true;
        return;
      default:
        this.state = REGULAR;
        this.token[0] = byte;
        this.tokenLength = 1;
        this.tokenHash = hashStep(0, byte);
        this.tokenNumber = byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : -1;
    }
  }

  private nameByte(byte: number): void {
    if (this.nameEscape === 1) {
      if (HEX[byte] !== -1) {
        this.nameDigit = byte;
        this.nameEscape = 2;
        return;
      }
      this.nameEscape = 0;
      this.nameChar(HASH);
    } else if (this.nameEscape === 2) {
      this.nameEscape = 0;
      if (HEX[byte] !== -1) return this.nameChar((HEX[this.nameDigit] as number) * 16 + (HEX[byte] as number));
      this.nameChar(HASH);
      this.nameChar(this.nameDigit);
    } else if (byte === HASH) {
      this.nameEscape = 1;
      return;
    }
    this.nameChar(byte);
  }

  private nameChar(char: number): void {
    if (this.tokenLength < TOKEN_BYTES) this.token[this.tokenLength] = char;
    this.tokenLength += 1;
    this.tokenHash = hashStep(this.tokenHash, char);
  }

  /** The token or name just read, if it is one of `WORDS`; else `OTHER`. */
  private word(): string {
    const word = this.tokenLength > TOKEN_BYTES ? undefined : WORD_BY_HASH.get(this.tokenHash);
    if (word === undefined || word.length !== this.tokenLength) return OTHER;
    for (let index = 0; index < word.length; index += 1) if (this.token[index] !== word.charCodeAt(index)) return OTHER;
    return word;
  }

  private endName(): void {
    if (this.nameEscape === 1) this.nameChar(HASH);
    if (this.nameEscape === 2) {
      this.nameChar(HASH);
      this.nameChar(this.nameDigit);
    }
    this.nameEscape = 0;
    const name = this.word();
    this.contentsToken(null);
    if (name === 'Contents') this.contents = 1;
    if (name === 'ObjStm' && this.dictionaryState === 1) this.objectKeys = true;
    if (this.inObjectDictionary()) {
      if (this.key !== null && this.valueTokens === 0) {
        // The key's value.
        if (this.key === 'Type') this.type = name;
        else if (this.key === 'Subtype') this.subtype = name;
        this.key = null;
        return;
      }
      this.newKey(name);
      return;
    }
    if (this.depth === 0) this.topLevelToken(-1);
  }

  private newKey(name: string): void {
    this.key = name;
    this.valueTokens = 0;
    if (name === 'N' || name === 'First' || name === 'Extends') this.objectKeys = true;
    else if (name === 'Length1' || name === 'Length2' || name === 'Length3') this.fontLengths = true;
    else if (name === 'Type') this.typeKeys += 1;
    else if (name === 'Subtype') this.subtypeKeys += 1;
  }

  /** A keyword, number or other bare token has ended; what it ends, if anything. */
  private endRegular(): SyntaxEvent {
    const text = this.word();
    const number = this.tokenNumber;
    this.contentsToken(number >= 0 ? number : text === 'R' ? -2 : null);
    if (this.inObjectDictionary()) {
      // A value that is not a name: a Type or Subtype given so is not read; a key that is not a name is not PDF.
      if (this.key === null || this.key === 'Type' || this.key === 'Subtype') this.irregular = true;
      this.valueTokens += 1;
      return NONE;
    }
    if (this.depth !== 0) return NONE;
    if (text === 'stream') {
      const event: SyntaxEvent = this.dictionaryState === 2 && this.objectNumber >= 0 && !this.lost ? { kind: 'stream', verdict: this.verdict() } : { kind: 'maybe-stream' };
      return event;
    }
    if (text === 'endobj') {
      this.endObject();
      return { kind: 'endobj' };
    }
    if (text === 'obj') {
      const number = this.previous >= 0 ? this.beforePrevious : -1;
      this.endObject();
      this.objectNumber = number;
      this.lost = false;
      return NONE;
    }
    this.topLevelToken(number);
    return NONE;
  }

  private verdict(): StreamVerdict {
    if (this.objectKeys || this.irregular || this.typeKeys > 1 || this.subtypeKeys > 1) return 'inspect';
    if (cannotHoldObjects(this.type, this.subtype, this.fontLengths)) return 'skip';
    // No type at all: a page's content stream when a page has named it so.
    if (this.type === null && this.subtype === null && this.typeKeys === 0 && this.subtypeKeys === 0 && this.contentStreams.has(this.objectNumber)) return 'skip';
    return 'inspect';
  }

  /** A token at the top level, outside any dictionary: an object header's numbers, or something else. */
  private topLevelToken(number: number): void {
    this.beforePrevious = this.previous;
    this.previous = number;
    if (this.dictionaryState === 2) this.dictionaryState = 3;
  }

  private endObject(): void {
    this.previous = -1;
    this.beforePrevious = -1;
    this.objectNumber = -1;
    this.dictionaryState = 0;
    this.type = null;
    this.subtype = null;
    this.typeKeys = 0;
    this.subtypeKeys = 0;
    this.irregular = false;
    this.objectKeys = false;
    this.fontLengths = false;
    this.key = null;
    this.valueTokens = 0;
  }

  /** Directly in the current object's dictionary (not in a dictionary or array inside it). */
  private inObjectDictionary(): boolean {
    return this.dictionaryState === 1 && this.depth === 1 && !this.lost;
  }

  /** A string, a dictionary or an array starts: as a value in the object's dictionary, or at the top level. */
  private value(): void {
    this.contentsToken(null);
    if (this.inObjectDictionary()) {
      if (this.key === null || this.key === 'Type' || this.key === 'Subtype') this.irregular = true;
      this.key = null;
    } else if (this.depth === 0) {
      this.topLevelToken(-1);
    }
  }

  private open(kind: number): void {
    if (kind === ARRAY && this.contents === 1) {
      this.contents = 2;
      this.numbers.length = 0;
    } else {
      this.contentsToken(null);
    }
    const topLevelDictionary = this.depth === 0 && kind === DICT;
    if (topLevelDictionary) {
      if (this.dictionaryState === 0 && this.objectNumber >= 0) {
        this.dictionaryState = 1;
      } else {
        this.topLevelToken(-1);
      }
    } else if (this.inObjectDictionary()) {
      if (this.key === null || this.key === 'Type' || this.key === 'Subtype') this.irregular = true;
      this.key = null;
    } else if (this.depth === 0) {
      this.topLevelToken(-1);
    }
    if (this.depth < MAX_NESTING) this.nesting[this.depth] = kind;
    else this.lost = true;
    this.depth += 1;
  }

  private close(kind: number): void {
    if (kind === ARRAY && this.contents === 2) this.contents = 0;
    if (this.depth === 0) {
      this.lost = true;
      return;
    }
    this.depth -= 1;
    if (this.depth < MAX_NESTING && this.nesting[this.depth] !== kind) this.lost = true;
    if (this.depth === 0 && kind === DICT && this.dictionaryState === 1) this.dictionaryState = 2;
  }

  /**
   * Follows a page's `/Contents` value: `N G R`, or an array of them. `token` is an integer, -2
   * for `R`, or null for anything else, which ends it.
   */
  private contentsToken(token: number | null): void {
    if (this.contents === 0) return;
    if (token === null) {
      this.contents = 0;
      return;
    }
    if (this.contents === 1 && this.numbers.length === 0) this.contents = 3; // a single reference
    if (token === -2) {
      const object = this.numbers.length >= 2 ? (this.numbers[this.numbers.length - 2] as number) : -1;
      if (object >= 0 && this.contentStreams.size < MAX_CONTENT_STREAMS) this.contentStreams.add(object);
      this.numbers.length = 0;
      if (this.contents === 3) this.contents = 0;
      return;
    }
    this.numbers.push(token);
    if (this.numbers.length > 2) this.numbers.shift();
  }
}

/** White-space bytes that may come before a stream's data (after `stream`: its end of line) before it is taken for other than Flate. */
const LEADING_WHITE = 8;
const OBJ_KEYWORD = Buffer.from('obj', 'latin1');

/**
 * Where in `tail` (the last few bytes before `bytes[from]`) and `bytes[from..to)` an `obj`
 * keyword stands, preceded by white space and followed by white space or a delimiter, with its
 * end in `bytes`: the index in `bytes` of its `o`, below `from` (even negative) when it starts in
 * `tail`; null when none. Keywords whose last byte or the byte after it has not come yet are
 * found in the next call.
 */
function objKeywordIn(tail: Buffer, bytes: Buffer, from: number, to: number): number | null {
  const ends = (byte: number | undefined): boolean => byte !== undefined && (WHITE[byte] === 1 || DELIMITER[byte] === 1);
  // Starting in the tail, ending in this piece.
  const seam = Buffer.concat([tail, bytes.subarray(from, Math.min(to, from + OBJ_KEYWORD.length + 1))]);
  for (let start = Math.max(1, tail.length - OBJ_KEYWORD.length); start < tail.length && start + OBJ_KEYWORD.length < seam.length; start += 1) {
    if (seam.compare(OBJ_KEYWORD, 0, OBJ_KEYWORD.length, start, start + OBJ_KEYWORD.length) === 0 && WHITE[seam[start - 1] as number] === 1 && ends(seam[start + OBJ_KEYWORD.length])) {
      return from - (tail.length - start);
    }
  }
  for (let at = bytes.indexOf(OBJ_KEYWORD, from); at !== -1 && at + OBJ_KEYWORD.length < to; at = bytes.indexOf(OBJ_KEYWORD, at + 1)) {
    const before = at > from ? bytes[at - 1] : tail[tail.length - 1];
    if (before !== undefined && WHITE[before] === 1 && ends(bytes[at + OBJ_KEYWORD.length])) return at;
  }
  return null;
}

/** A stream's data as it arrives. */
interface InStream {
  /**
   * `skip`: a stream that cannot hold objects, not read. `inflate`: one that may, inflated (its
   * first bytes decide). `names`: one that may but is not Flate data, scanned as it is.
   */
  mode: 'skip' | 'inflate' | 'names';
  /** Its first bytes, until they tell whether it is Flate data (a zlib header after white space). */
  readonly head: Buffer;
  headLength: number;
  inflated: InflatedStream | null;
  /** The names in the stream's own bytes, counted only if it could not be inflated whole. */
  readonly rawFound: Set<PdfActiveContent>;
  readonly rawNames: NameScanner<PdfActiveContent>;
  /** Bytes at the end of the last piece that begin `endstream`. */
  partial: number;
  /** The last bytes of a stream not inflated, to find an `obj` keyword across pieces. */
  tail: Buffer;
}

/** What a stream's data turned out to be: still data, or bytes to read as the file's own from `resume` on (after `replay`, held bytes of it). */
type DataOutcome = { readonly data: true } | { readonly data: false; readonly replay: Buffer; readonly resume: number };
const STILL_DATA: DataOutcome = { data: true };

/**
 * Which kinds of active content a PDF holds: JavaScript, launch actions (run a program), and
 * embedded files. A flag is a warning for the reviewer, not a verdict: the file is kept and
 * served only as a download, never rendered in our pages.
 *
 * The file is fed in pieces of any size, as it arrives (`write`), and read once, in constant
 * memory. Actions live in dictionaries, which are either in the file's own bytes or, since PDF
 * 1.5, in compressed object streams. So:
 *
 * - the file's own bytes outside stream data are scanned for marker names;
 * - each stream's dictionary is read (`PdfSyntax`). Streams that cannot hold objects (images,
 *   form and page contents, fonts, cross-reference and metadata streams) are skipped: neither
 *   inflated nor scanned, so binary data that happens to spell `/JS` is not a find. Should one
 *   hold an `obj` keyword after all (an object hidden inside it, for a reader that jumps there by
 *   the cross-reference table), its bytes from there on are read as the file's own;
 * - every other stream (an object stream, any stream whose dictionary has an object stream's
 *   `/N`, `/First` or `/Extends`, or an unknown or unreadable type) is inflated as Flate data and
 *   the output scanned. Data that does not start as Flate data (no filter, another one) is
 *   scanned for names as it is, and an `obj` keyword in it is read on as the file's own bytes;
 *   data that fails later, is cut short or goes over a limit has its own bytes scanned as well;
 * - the bytes `stream` anywhere else outside stream data (in a string, after an unreadable
 *   dictionary) are taken as a possible stream start too: what follows is inflated as far as it
 *   goes, while the syntax goes on reading (and scanning) the same bytes.
 */
export class PdfActiveContentScanner {
  private readonly found = new Set<PdfActiveContent>();
  /** The object-stream names seen since the last stream's data or object's end. */
  private objectStreamNames = false;
  private readonly raw = new NameScanner<NameHit>(RAW_NAMES, (hit) => {
    if (hit === OBJECT_STREAM) this.objectStreamNames = true;
    else this.found.add(hit);
  });
  private readonly contentStreams = new Set<number>();
  private readonly syntax = new PdfSyntax(this.contentStreams);
  private readonly budget = { left: MAX_INFLATED_PER_FILE };
  private stream: InStream | null = null;
  /** A possible stream started where the syntax expected none. */
  private possible: InflatedStream | null = null;
  /** A stream's data is being read as the file's own bytes: its `endstream` puts the syntax back at the top level. */
  private readingStreamData = false;

  /**
   * Scans the file's next piece. The piece is read later too (its stream data, by the inflater):
   * it must not change once written.
   */
  async write(chunk: Buffer): Promise<void> {
    let position = 0;
    while (position < chunk.length) {
      if (this.stream !== null) {
        position = await this.streamData(this.stream, chunk, position);
        continue;
      }
      const { stop, event } = this.syntax.feed(chunk, position, chunk.length);
      if (stop > position) {
        const bytes = chunk.subarray(position, stop);
        this.raw.scan(bytes);
        this.possible?.write(bytes);
      }
      position = stop;
      // The frequent events need no waiting: no promise for them (one per object otherwise).
      if (event.kind === 'none') continue;
      if (event.kind === 'endobj') {
        this.objectStreamNames = false;
        continue;
      }
      await this.onEvent(event);
    }
    await this.stream?.inflated?.settle();
    await this.possible?.settle();
  }

  /** The kinds found, in a fixed order, once the whole file has been written. */
  async end(): Promise<PdfActiveContent[]> {
    const stream = this.stream;
    if (stream !== null) {
      const held = ENDSTREAM_KEYWORD.subarray(0, stream.partial);
      const outcome = this.consume(stream, held);
      if (outcome.data) await this.endStream(stream);
      else await this.notData(this.heldOutcome(outcome, held), held);
    }
    await this.endPossible();
    this.syntax.finish();
    this.raw.finish();
    return KINDS.filter((kind) => this.found.has(kind));
  }

  private async onEvent(event: SyntaxEvent): Promise<void> {
    switch (event.kind) {
      case 'none':
        return;
      case 'endobj':
        this.objectStreamNames = false;
        return;
      case 'endstream-text':
        await this.endPossible();
        if (this.readingStreamData) {
          this.readingStreamData = false;
          this.objectStreamNames = false;
          this.syntax.afterStream();
        }
        return;
      case 'maybe-stream':
        await this.endPossible();
        this.possible = new InflatedStream(this.found, this.budget);
        return;
      case 'stream': {
        await this.endPossible();
        this.raw.finish();
        this.readingStreamData = false;
        const rawFound = new Set<PdfActiveContent>();
        this.stream = {
          mode: event.verdict === 'skip' && !this.objectStreamNames ? 'skip' : 'inflate',
          head: Buffer.alloc(LEADING_WHITE + 2),
          headLength: 0,
          inflated: null,
          rawFound,
          rawNames: new NameScanner(MARKERS, (kind) => rawFound.add(kind)),
          partial: 0,
          tail: Buffer.alloc(0),
        };
        return;
      }
    }
  }

  /**
   * Takes a stream's data from `from`, up to `endstream` (the first after its start). Returns
   * where the scan goes on in `bytes`: at the `endstream` keyword, at the piece's end, or where
   * the data turned out not to be stream data.
   */
  private async streamData(stream: InStream, bytes: Buffer, from: number): Promise<number> {
    const position = from;
    if (stream.partial > 0) {
      // `endstream` begun at the end of the last piece: does this one finish it?
      const rest = ENDSTREAM_KEYWORD.length - stream.partial;
      const available = Math.min(rest, bytes.length - position);
      if (bytes.compare(ENDSTREAM_KEYWORD, stream.partial, stream.partial + available, position, position + available) === 0) {
        if (available < rest) {
          stream.partial += available;
          return bytes.length;
        }
        await this.endStream(stream);
        this.syntax.afterStream();
        // The keyword's first bytes, held from the last piece, go to the syntax; this piece's rest of it follows.
        await this.write(ENDSTREAM_KEYWORD.subarray(0, stream.partial));
        return position;
      }
      // Data after all: no prefix of `endstream` is also its suffix, so the search starts afresh here.
      const held = ENDSTREAM_KEYWORD.subarray(0, stream.partial);
      stream.partial = 0;
      const outcome = this.consume(stream, held);
      if (!outcome.data) return this.notData(this.heldOutcome(outcome, held), bytes, position);
    }
    const at = bytes.indexOf(ENDSTREAM_KEYWORD, position);
    let until = at;
    if (at === -1) {
      let partial = Math.min(ENDSTREAM_KEYWORD.length - 1, bytes.length - position);
      while (partial > 0 && bytes.compare(ENDSTREAM_KEYWORD, 0, partial, bytes.length - partial) !== 0) partial -= 1;
      stream.partial = partial;
      until = bytes.length - partial;
    }
    const outcome = this.consume(stream, bytes, position, until);
    if (!outcome.data) return this.notData(outcome, bytes, position);
    if (at !== -1) {
      await this.endStream(stream);
      this.syntax.afterStream();
      return at;
    }
    await stream.inflated?.settle();
    return bytes.length;
  }

  /**
   * Hands `bytes[from..to)` of a stream's data on: to its inflater; for a stream that is not
   * inflated, to the search for a hidden object (and, unless skipped, to the name scan).
   */
  private consume(stream: InStream, bytes: Buffer, from = 0, to = bytes.length): DataOutcome {
    if (from >= to) return STILL_DATA;
    if (stream.mode !== 'inflate') {
      const at = objKeywordIn(stream.tail, bytes, from, to);
      if (stream.mode === 'names') this.raw.scan(bytes.subarray(from, at === null ? to : Math.max(from, at)));
      if (at !== null) return at >= from ? { data: false, replay: Buffer.alloc(0), resume: at } : { data: false, replay: OBJ_KEYWORD.subarray(0, from - at), resume: from };
      const last = Buffer.concat([stream.tail, bytes.subarray(Math.max(from, to - 4), to)]);
      stream.tail = Buffer.from(last.subarray(Math.max(0, last.length - 4)));
      return STILL_DATA;
    }
    let position = from;
    if (stream.inflated === null) {
      // Its first bytes: white space, then a zlib header, or it is not Flate data.
      while (position < to && stream.headLength < stream.head.length) {
        const byte = bytes[position] as number;
        stream.head[stream.headLength] = byte;
        stream.headLength += 1;
        position += 1;
        const white = stream.head.subarray(0, stream.headLength).findIndex((b) => WHITE[b] !== 1);
        if (white === -1 && stream.headLength < LEADING_WHITE) continue;
        if (white !== -1 && stream.headLength - white < 2) continue;
        if (white === -1 || !isZlibHeader(stream.head[white] as number, stream.head[white + 1] as number)) {
          // Not Flate data (no filter, another one): its bytes are scanned as they are, as the file's own are.
          stream.mode = 'names';
          const head = Buffer.from(stream.head.subarray(0, stream.headLength));
          const outcome = this.consume(stream, head);
          if (!outcome.data) return { data: false, replay: Buffer.concat([outcome.replay, head.subarray(outcome.resume), bytes.subarray(position, to)]), resume: to };
          return this.consume(stream, bytes, position, to);
        }
        stream.inflated = new InflatedStream(this.found, this.budget, new PdfSyntax(this.contentStreams));
        const head = Buffer.from(stream.head.subarray(0, stream.headLength));
        stream.inflated.write(head);
        stream.rawNames.scan(head);
        break;
      }
      if (stream.inflated === null) return STILL_DATA;
    }
    const data = bytes.subarray(position, to);
    stream.inflated.write(data);
    stream.rawNames.scan(data);
    return STILL_DATA;
  }

  /** An outcome of consuming `held` (bytes not in the piece), with all of them from its resume point to be replayed. */
  private heldOutcome(outcome: Extract<DataOutcome, { data: false }>, held: Buffer): Extract<DataOutcome, { data: false }> {
    return { data: false, replay: Buffer.concat([outcome.replay, held.subarray(outcome.resume)]), resume: 0 };
  }

  /** The stream was not one after all: its bytes are read as the file's own, from the held ones on. */
  private async notData(outcome: Extract<DataOutcome, { data: false }>, bytes: Buffer, position = 0): Promise<number> {
    this.stream = null;
    this.objectStreamNames = false;
    this.syntax.afterStream();
    this.readingStreamData = true;
    if (outcome.replay.length > 0) await this.write(outcome.replay);
    return Math.max(position, outcome.resume);
  }

  private async endStream(stream: InStream): Promise<void> {
    this.stream = null;
    this.objectStreamNames = false;
    if (stream.mode !== 'inflate') return;
    // Ended before its first bytes told what it is: they are scanned as they are.
    if (stream.inflated === null) stream.rawNames.scan(stream.head.subarray(0, stream.headLength));
    const whole = stream.inflated === null ? false : await stream.inflated.end();
    stream.rawNames.finish();
    // Not inflated whole: what its own bytes say counts, as for any bytes the scan could not look behind.
    if (!whole) for (const kind of stream.rawFound) this.found.add(kind);
  }

  private async endPossible(): Promise<void> {
    const possible = this.possible;
    this.possible = null;
    await possible?.end();
  }
}

/** The active content of a whole file, given as one buffer or as the pieces it arrived in. */
export async function pdfActiveContent(content: Buffer | readonly Buffer[]): Promise<PdfActiveContent[]> {
  const scanner = new PdfActiveContentScanner();
  for (const piece of Buffer.isBuffer(content) ? [content] : content) await scanner.write(piece);
  return scanner.end();
}
