import { TextDecoder } from 'node:util';
import type { CsvProblem, CsvRecord, CsvTable } from '@exemptions/shared';
import { create as contentDisposition } from 'content-disposition';
import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { HttpError } from '../http/errors.js';

/*
 * CSV syntax, through csv-stringify and csv-parse: RFC 4180 (CRLF line ends, quotes doubled
 * inside quoted fields) in UTF-8 with a byte-order mark, which is what makes Excel read the
 * accents in a customer's name; the parser takes either line end and drops the mark.
 */

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

export function writeCsv(table: CsvTable): string {
  return stringify([[...table.header], ...table.rows.map((row) => [...row])], { bom: true, record_delimiter: 'windows' });
}

/** Sends a table as a CSV download: private to the tenant, so never cached. */
export function sendCsv(res: Response, filename: string, table: CsvTable): void {
  res
    .status(200)
    .set({ 'Content-Type': CSV_CONTENT_TYPE, 'Content-Disposition': contentDisposition(filename), 'Cache-Control': 'private, no-store', 'X-Content-Type-Options': 'nosniff' })
    .send(writeCsv(table));
}

const parsedRecordsSchema = z.array(z.object({ record: z.array(z.string()), info: z.object({ bytes: z.int().nonnegative() }) }));

const LF = 0x0a;
const CR = 0x0d;

/** Line numbers of byte offsets: a line ends at CRLF, LF or CR, whichever the file uses (a file may mix them). */
function lineCounter(bytes: Buffer): (offset: number) => number {
  let scanned = 0;
  let line = 1;
  return (offset) => {
    for (; scanned < offset; scanned += 1) {
      const byte = bytes[scanned];
      if (byte === LF || (byte === CR && bytes[scanned + 1] !== LF)) line += 1;
    }
    return line;
  };
}

/**
 * The records of a CSV text, each with the line it starts on — what an editor shows, where a
 * quoted field may span lines and blank lines count. csv-parse reports where each record
 * ends (in bytes); a record starts after the previous one's end and any blank lines.
 * Records may differ in length: the caller compares them with the header and says which
 * line is off. A text that is not CSV at all (an unclosed quote, say) is one problem at the
 * line where reading stopped.
 */
export function readCsv(text: string): { records: CsvRecord[]; problem: null } | { records: null; problem: CsvProblem } {
  const bytes = Buffer.from(text, 'utf8');
  let parsed: unknown;
  try {
    parsed = parse(bytes, { bom: true, info: true, skip_empty_lines: true, relax_column_count: true, record_delimiter: ['\r\n', '\n', '\r'] });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = typeof error.lines === 'number' ? error.lines : 1;
    return { records: null, problem: { line, field: '', message: `not readable as CSV: ${error.message}` } };
  }
  const lineAt = lineCounter(bytes);
  let end = 0;
  const records = parsedRecordsSchema.parse(parsed).map(({ record, info }) => {
    let start = end;
    while (bytes[start] === LF || bytes[start] === CR) start += 1;
    end = info.bytes;
    return { line: lineAt(start), cells: record };
  });
  return { records, problem: null };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The CSV text of a request whose raw body `appSignatureAuth` verified: `text/csv` in UTF-8
 * (415 for another type or charset, 400 for bytes that are not UTF-8 or no body at all).
 */
export function csvBodyOf(req: Request): string {
  const body: unknown = req.body;
  const contentType = req.get('Content-Type') ?? '';
  if (!Buffer.isBuffer(body) || body.length === 0) throw new HttpError(400, 'Send the CSV as the request body (Content-Type: text/csv)');
  if (!req.is('text/csv')) throw new HttpError(415, `Expected a Content-Type of text/csv for the request body (got ${JSON.stringify(contentType)})`);
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new HttpError(415, `Expected the CSV in UTF-8 (got charset ${JSON.stringify(charset)})`);
  }
  try {
    return utf8.decode(body);
  } catch {
    throw new HttpError(400, 'The CSV is not valid UTF-8: save it as "CSV UTF-8"');
  }
}
