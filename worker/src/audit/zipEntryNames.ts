/*
 * Names inside an audit package's zip. Each path part comes from data (certificate ids, the
 * names files were uploaded under), so each is cleaned to one plain name before it is joined:
 * no separators (a name cannot climb out of its folder or make one), no `..` or leading dots,
 * no controls or direction overrides, none of the characters Windows refuses, and a bounded
 * length. Names are unique per folder regardless of case, so nothing is overwritten when the
 * zip is extracted on a case-insensitive file system.
 */

// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069/\\:*?"<>|]/gu;

/** Longest path part we write; well under every file system's 255. */
export const MAX_SEGMENT_LENGTH = 120;

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  let result = '';
  for (const char of text) {
    if (result.length + char.length > max) break;
    result += char;
  }
  return result;
}

function splitExtension(name: string): { stem: string; extension: string } {
  const dot = name.lastIndexOf('.');
  // A short trailing `.pdf`-like part is an extension worth keeping whole; anything else is just text.
  if (dot <= 0 || name.length - dot > 10) return { stem: name, extension: '' };
  return { stem: name.slice(0, dot), extension: name.slice(dot) };
}

/** One safe path part made from `name`, or `fallback` when nothing usable is left. */
export function zipNameSegment(name: string, fallback: string): string {
  const cleaned = name
    .normalize('NFC')
    .replace(unsafeCharacters, '_')
    .replace(/\s+/gu, ' ')
    .replace(/^[\s.]+/u, '')
    .replace(/[\s.]+$/u, '');
  if (cleaned === '') return fallback;
  if (cleaned.length <= MAX_SEGMENT_LENGTH) return cleaned;
  const { stem, extension } = splitExtension(cleaned);
  const shortened = `${cut(stem, MAX_SEGMENT_LENGTH - extension.length).trimEnd()}${extension}`;
  return shortened.startsWith('.') ? fallback : shortened;
}

/** Hands out names in one folder of the zip, adding ` (2)`, ` (3)`… before the extension to repeats. */
export class ZipFolder {
  private readonly taken = new Set<string>();

  constructor(readonly path: string) {}

  /** The full entry path of a new, unique file named after `name`. */
  claim(name: string, fallback: string): string {
    const segment = zipNameSegment(name, fallback);
    const { stem, extension } = splitExtension(segment);
    let candidate = segment;
    for (let copy = 2; this.taken.has(candidate.toLowerCase()); copy += 1) {
      const suffix = ` (${copy})`;
      candidate = `${cut(stem, MAX_SEGMENT_LENGTH - extension.length - suffix.length)}${suffix}${extension}`;
    }
    this.taken.add(candidate.toLowerCase());
    return `${this.path}/${candidate}`;
  }
}
