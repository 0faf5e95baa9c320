import { certificateLimits, type CertificateFileContentType } from '@exemptions/shared';
import { extensionsOf } from './sniffContentType.js';

// C0 and C1 controls and DEL break headers and logs; the bidirectional overrides and isolates
// can make "invoice‮fdp.exe" display as "invoiceexe.pdf".
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  let result = '';
  for (const char of text) {
    if (result.length + char.length > max) break;
    result += char;
  }
  return result;
}

/**
 * The name a stored certificate file keeps: the uploader's name without any folder part,
 * controls or direction tricks, at most 255 characters, and ending in an extension that
 * matches the sniffed type (added if missing or different), so a saved download opens as
 * what it is. With no usable name, `certificate.<ext>`.
 */
export function safeFilename(name: string | null | undefined, contentType: CertificateFileContentType): string {
  const extensions = extensionsOf[contentType];
  const preferred = extensions[0] ?? 'bin';
  const base = (name ?? '').split(/[/\\]/).at(-1) ?? '';
  let cleaned = base
    .normalize('NFC')
    .replace(unsafeCharacters, '')
    .replace(/\s+/gu, ' ')
    .trim()
    .replace(/^\.+/, '');
  if (cleaned === '') cleaned = 'certificate';

  const dot = cleaned.lastIndexOf('.');
  const extension = dot === -1 ? '' : cleaned.slice(dot + 1).toLowerCase();
  const stem = extensions.includes(extension) ? cleaned.slice(0, dot) : cleaned;
  const suffix = extensions.includes(extension) ? cleaned.slice(dot) : `.${preferred}`;
  const trimmedStem = cut(stem, certificateLimits.filenameLength - suffix.length).trim();
  return `${trimmedStem === '' ? 'certificate' : trimmedStem}${suffix}`;
}
