import { inflateSync } from 'node:zlib';
import type { PdfActiveContentKind } from '@exemptions/shared';

/** PDF features that act when the file is opened, which a reviewer should know of before opening it. */
export type PdfActiveContent = PdfActiveContentKind;

const markers: ReadonlyArray<{ readonly kind: PdfActiveContent; readonly names: readonly string[] }> = [
  { kind: 'javascript', names: ['/JavaScript', '/JS'] },
  { kind: 'launch_action', names: ['/Launch'] },
  { kind: 'embedded_file', names: ['/EmbeddedFile', '/EmbeddedFiles', '/FileAttachment'] },
];

/** Inflated stream contents scanned per file, at most: a bound on a decompression bomb. */
const MAX_INFLATED_BYTES = 32 * 1024 * 1024;

/**
 * PDF names may spell any character as `#xx` (`/J#61vaScript` is `/JavaScript`), which is how
 * droppers hide from naive scanners; decode them before matching.
 */
function decodeNames(text: string): string {
  return text.replace(/\/[^\s/<>[\]()%{}]+/g, (name) => name.replace(/#([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))));
}

function namesIn(text: string): Set<string> {
  const found = new Set<string>();
  for (const match of decodeNames(text).matchAll(/\/[A-Za-z]+/g)) found.add(match[0]);
  return found;
}

/**
 * The contents of the file's Flate-compressed streams: since PDF 1.5, objects (actions
 * included) may sit inside compressed object streams, invisible in the raw bytes.
 */
function inflatedStreams(latin1: string, bytes: Buffer): string[] {
  const out: string[] = [];
  let budget = MAX_INFLATED_BYTES;
  const streamStart = /stream\r?\n/g;
  for (let match = streamStart.exec(latin1); match !== null && budget > 0; match = streamStart.exec(latin1)) {
    const start = match.index + match[0].length;
    const end = latin1.indexOf('endstream', start);
    if (end === -1) break;
    try {
      const inflated = inflateSync(bytes.subarray(start, end), { maxOutputLength: budget });
      budget -= inflated.length;
      out.push(inflated.toString('latin1'));
    } catch {
      // Not Flate data (images, other filters) or truncated: nothing to read in it.
    }
    streamStart.lastIndex = end;
  }
  return out;
}

/**
 * Which kinds of active content a PDF holds: JavaScript, launch actions (run a program), and
 * embedded files. A flag is a warning for the reviewer, not a verdict: the file is kept and
 * served only as a download, never rendered in our pages.
 */
export function pdfActiveContent(bytes: Buffer): PdfActiveContent[] {
  const latin1 = bytes.toString('latin1');
  const names = namesIn(latin1);
  for (const inflated of inflatedStreams(latin1, bytes)) for (const name of namesIn(inflated)) names.add(name);
  return markers.filter((marker) => marker.names.some((name) => names.has(name))).map((marker) => marker.kind);
}
