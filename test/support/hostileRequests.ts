/**
 * Hostile requests to the signed API, built from the OpenAPI document: query strings, JSON,
 * CSV and multipart bodies that mostly conform (so they reach the code behind validation) or
 * are broken in one spot, plus raw garbage. Every call is correctly signed, so the worker has
 * to cope with what it says rather than refuse it at the door.
 */
import { certificateCsvDescriptiveColumns, certificateCsvImportColumns, jurisdictionColumn } from '@exemptions/shared';
import fc from 'fast-check';
import type { ApiOperation } from '../../worker/src/http/openapi.js';
import { signCall, type CallerIdentity } from '../../worker/src/tools/signedFetch.js';
import { conforming, hostileStrings, hostileValue, mutated, type JsonSchema, type SchemaArbitraryOptions } from './schemaArbitrary.js';
import { samplePdf } from './portal.js';

export interface RawCall {
  readonly method: string;
  /** Path and query exactly as the client writes them. */
  readonly target: string;
  readonly body?: Buffer;
  readonly contentType?: string;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** One OpenAPI parameter object (`in: query` or `in: path`). */
export interface DocumentedParameter {
  readonly name: string;
  readonly in: string;
  readonly schema: JsonSchema;
}

/** Percent-encodes the UTF-8 bytes of `text`, lone surrogates included (encodeURIComponent would throw on them). */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Sends a call signed as the Stripe App would sign it. The URL is normalised first, as fetch
 * will send it, so the signature covers what the worker receives. A query the client cannot
 * even put in signed form (an invalid escape) goes out signed without it: the worker must
 * refuse it with a 400 before it gets as far as the signature.
 */
export async function sendSigned(baseUrl: string, call: RawCall, identity: CallerIdentity): Promise<RawAnswer> {
  const url = new URL(call.target, baseUrl);
  const request = { method: call.method, body: call.body, ...(call.contentType === undefined ? {} : { contentType: call.contentType }) };
  let headers: Record<string, string>;
  try {
    headers = signCall({ ...request, target: url.pathname + url.search }, identity);
  } catch {
    headers = signCall({ ...request, target: url.pathname }, identity);
  }
  const hasBody = call.body !== undefined && call.method !== 'GET' && call.method !== 'HEAD';
  const response = await fetch(url, { method: call.method, headers, ...(hasBody ? { body: new Uint8Array(call.body ?? Buffer.alloc(0)) } : {}) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

// ---------------------------------------------------------------------------------------
// Query strings

function asQueryValue(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** Hostile strings short enough for a query string (a 70 kB one only meets Node's request-line limit, a 431). */
const shortHostileStrings = hostileStrings.filter((s) => s.length <= 300);

/** Tails no well-behaved client writes: bad escapes, bracket syntax, operator keys, repeats. */
const rawQueryTails = [
  '%',
  '%zz',
  '%C3%28',
  '%ED%A0%80',
  '&&&',
  '=',
  '==x',
  'a[b]=c',
  'q[$ne]=x',
  'status[]=active',
  '__proto__[polluted]=1',
  'constructor[prototype][polluted]=1',
  'limit=1&limit=2',
  'cursor=%00',
  ';x=1',
  '+++',
];

function encodeQuery(pairs: readonly (readonly [string, string])[], rawTail?: string): string {
  const encoded = pairs.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`);
  if (rawTail !== undefined) encoded.push(rawTail);
  return encoded.length === 0 ? '' : `?${encoded.join('&')}`;
}

/**
 * A query string for `parameters`. Three in five are clean — documented names, conforming values —
 * so they reach the route; the others carry hostile or repeated values, unknown names and raw tails.
 */
export function queryArbitrary(parameters: readonly DocumentedParameter[], options: SchemaArbitraryOptions): fc.Arbitrary<string> {
  const names = parameters.map((p) => p.name);
  const pairsOf = (name: string) => (values: readonly string[] | undefined) => (values ?? []).map((value): [string, string] => [name, value]);
  const clean = fc
    .tuple(...parameters.map((parameter) => fc.option(conforming(parameter.schema, options, parameter.name).map((value) => [asQueryValue(value)]), { nil: undefined, freq: 2 }).map(pairsOf(parameter.name))))
    .map((groups) => encodeQuery(groups.flat()));
  const documented = parameters.map((parameter) =>
    fc
      .option(
        fc.oneof(
          { weight: 3, arbitrary: conforming(parameter.schema, options, parameter.name).map((value) => [asQueryValue(value)]) },
          { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...shortHostileStrings), hostileValue.map(asQueryValue).filter((v) => v.length <= 300)).map((value) => [value]) },
          // Repeated: Express hands the route an array where it expects a string.
          { weight: 1, arbitrary: fc.array(conforming(parameter.schema, options, parameter.name).map(asQueryValue), { minLength: 2, maxLength: 3 }) },
        ),
        { nil: undefined, freq: 2 },
      )
      .map(pairsOf(parameter.name)),
  );
  const unknown = fc.array(
    fc.tuple(fc.oneof(fc.constantFrom('expand', 'accountId', 'livemode', '__proto__', ...names.map((n) => n.toUpperCase())), fc.string({ maxLength: 8 })), fc.string({ maxLength: 12 })),
    { maxLength: 2 },
  );
  const tail = fc.option(fc.constantFrom(...rawQueryTails), { nil: undefined, freq: 3 });
  const dirty = fc.tuple(fc.tuple(...documented), unknown, tail).map(([groups, extra, rawTail]) => encodeQuery([...groups.flat(), ...extra], rawTail));
  // Without parameters the clean query is one and the same empty string: a few hundred repeats of
  // it would test nothing new (and a report is costly to compute), so it is picked less often.
  return fc.oneof({ weight: parameters.length === 0 ? 1 : 3, arbitrary: clean }, { weight: parameters.length === 0 ? 9 : 2, arbitrary: dirty });
}

// ---------------------------------------------------------------------------------------
// Bodies

export interface Body {
  readonly bytes?: Buffer;
  readonly contentType?: string;
}

const json = (value: unknown, contentType = 'application/json'): Body => ({ bytes: Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'), contentType });

/** JSON-ish bodies no schema describes: wrong types, broken syntax, other encodings, prototype keys, deep nesting. */
const strangeJsonBodies: fc.Arbitrary<Body> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => json(value)),
  fc.string({ maxLength: 60 }).map((text) => ({ bytes: Buffer.from(text, 'utf8'), contentType: 'application/json' })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ bytes: Buffer.from(bytes), contentType: 'application/json' })),
  fc.constantFrom<Body>(
    { bytes: Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'), contentType: 'application/json' },
    { bytes: Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`), contentType: 'application/json' },
    { bytes: Buffer.from(`{"notes":${'['.repeat(3000)}${']'.repeat(3000)}}`), contentType: 'application/json' },
    { bytes: Buffer.from('\uFEFF{}', 'utf8'), contentType: 'application/json' },
    { bytes: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), contentType: 'application/json' },
    { bytes: Buffer.from('{"a":1}', 'utf16le'), contentType: 'application/json; charset=utf-16' },
    { bytes: Buffer.from('{}'), contentType: 'application/json; charset=latin1' },
    { bytes: Buffer.from('{}'), contentType: 'text/plain' },
    { bytes: Buffer.from('a=1&b=2'), contentType: 'application/x-www-form-urlencoded' },
    { bytes: Buffer.from('{}') },
    { bytes: Buffer.from('{"expectedVersion":1e400}'), contentType: 'application/json' },
    { bytes: Buffer.from('{"a":1,"a":2}'), contentType: 'application/json' },
    { bytes: Buffer.alloc(0), contentType: 'application/json' },
    { bytes: Buffer.from('null'), contentType: 'application/json' },
    { bytes: Buffer.from('{}'), contentType: 'application/json;;;charset=' },
    { bytes: Buffer.from('{}'), contentType: 'multipart/form-data; boundary=x' },
  ),
);

/** Bodies for a JSON-body operation: mostly conforming, often broken in one spot, sometimes not JSON at all. */
export function jsonBodyArbitrary(schema: JsonSchema, options: SchemaArbitraryOptions, required: boolean): fc.Arbitrary<Body> {
  const valid = conforming(schema, options);
  return fc.oneof(
    { weight: 5, arbitrary: valid.map((value) => json(value)) },
    { weight: 4, arbitrary: mutated(valid).map((value) => json(value)) },
    { weight: 2, arbitrary: strangeJsonBodies },
    { weight: required ? 0 : 1, arbitrary: fc.constant<Body>({}) },
  );
}

/** What a GET or a body-less POST may still carry: usually nothing, sometimes a body it does not expect. */
export const unexpectedBodyArbitrary: fc.Arbitrary<Body> = fc.oneof({ weight: 6, arbitrary: fc.constant<Body>({}) }, { weight: 1, arbitrary: strangeJsonBodies });

// --- CSV ---------------------------------------------------------------------------------

const csvColumns: readonly string[] = [
  ...certificateCsvImportColumns,
  ...certificateCsvDescriptiveColumns,
  ...[1, 2].flatMap((group) => (['Code', 'RegistrationId', 'EffectiveDate', 'ExpirationDate'] as const).map((field) => jurisdictionColumn(group, field))),
  'jurisdiction0Code',
  'jurisdiction1000Code',
  'colour',
];

const requiredCsvHeader = ['externalId', 'customerId', 'reason', 'form', 'purchaseType', 'jurisdiction1Code', 'jurisdiction1EffectiveDate'];

/** A cell as a spreadsheet writes it: quoted when it must be, and sometimes quoted badly. */
function csvCell(value: string, style: number): string {
  if (style % 7 === 0) return `"${value}`; // an unterminated quote
  if (/[",\r\n]/.test(value) || style % 3 === 0) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

/** CSV bodies for the import: real columns (and some that are not), cells from the hints or hostile. */
export function csvBodyArbitrary(options: SchemaArbitraryOptions): fc.Arbitrary<Body> {
  const hinted = (column: string): readonly string[] => {
    const key = column.replace(/^jurisdiction\d+/, '').replace(/^./, (c) => c.toLowerCase());
    return (options.hints?.[column] ?? options.hints?.[key] ?? []).map(String);
  };
  const header = fc.oneof(fc.constant(requiredCsvHeader), fc.shuffledSubarray([...csvColumns], { minLength: 1, maxLength: 12 }));
  const table = header.chain((columns) => {
    const cell = (column: string): fc.Arbitrary<string> => {
      const hints = hinted(column);
      return fc.oneof(
        { weight: hints.length > 0 ? 5 : 0, arbitrary: hints.length > 0 ? fc.constantFrom(...hints) : fc.constant('') },
        { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
        { weight: 1, arbitrary: fc.constantFrom(...hostileStrings.filter((s) => s.length < 1000), '=SUM(A1)', '@cmd', 'a\r\nb', '"') },
      );
    };
    const row = fc.tuple(...columns.map(cell), fc.nat());
    return fc.tuple(fc.constant(columns), fc.array(row, { maxLength: 6 }), fc.nat());
  });
  const text = table.map(([columns, rows, style]) => {
    const lineEnd = style % 5 === 0 ? '\n' : '\r\n';
    const lines = [columns.join(','), ...rows.map((cells) => (cells.slice(0, -1) as string[]).map((value, i) => csvCell(value, (cells.at(-1) as number) + i)).join(','))];
    return `${style % 4 === 0 ? '\uFEFF' : ''}${lines.join(lineEnd)}${lineEnd}`;
  });
  return fc.oneof(
    { weight: 6, arbitrary: text.map((csv): Body => ({ bytes: Buffer.from(csv, 'utf8'), contentType: 'text/csv' })) },
    { weight: 1, arbitrary: text.map((csv): Body => ({ bytes: Buffer.from(csv, 'utf8'), contentType: 'text/csv; charset=utf-8' })) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<Body>(
        { bytes: Buffer.from('externalId,customerId\n\u0000,\u0000\n'), contentType: 'text/csv' },
        { bytes: Buffer.from([0xef, 0xbb, 0xbf, 0xc3, 0x28, 0x2c, 0x0a]), contentType: 'text/csv' },
        { bytes: Buffer.from('a,b\n1,2\n'), contentType: 'text/csv; charset=latin1' },
        { bytes: Buffer.from('a,b\n1,2\n'), contentType: 'application/json' },
        { bytes: Buffer.from('a,b\n1,2\n') },
        { bytes: Buffer.alloc(0), contentType: 'text/csv' },
        { bytes: Buffer.from(`${requiredCsvHeader.join(',')}\n${'x,cus_A,resale,single_state,blanket,US-TX,2026-01-01\n'.repeat(5001)}`), contentType: 'text/csv' },
        { bytes: Buffer.from(`"${'x'.repeat(100_000)}`), contentType: 'text/csv' },
        { bytes: Buffer.from(`${','.repeat(20_000)}\n`), contentType: 'text/csv' },
      ),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes): Body => ({ bytes: Buffer.from(bytes), contentType: 'text/csv' })) },
  );
}

// --- multipart ---------------------------------------------------------------------------

/** A 1×1 PNG. */
export const tinyPng = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
/** SOI, a JFIF APP0 segment, EOI. */
export const tinyJpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]);

/** File contents: real small files, the same with junk after them, junk with a real signature in front, and junk. */
export const fileContentArbitrary: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom(samplePdf(), tinyPng, tinyJpeg, Buffer.from('<html><script>alert(1)</script></html>'), Buffer.from('GIF89a=1;alert(1)//'), Buffer.alloc(0)),
  fc.tuple(fc.constantFrom(samplePdf(), tinyPng, tinyJpeg, Buffer.from('%PDF-'), Buffer.from([0xff, 0xd8, 0xff])), fc.uint8Array({ maxLength: 300 })).map(([head, tail]) => Buffer.concat([head, Buffer.from(tail)])),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
);

/** File names people and attackers send: folders, controls, direction overrides, quotes, very long. */
export const filenameArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'certificate.pdf',
    '../../../../etc/passwd',
    '..\\..\\windows\\win.ini',
    'evil\u0000.pdf',
    'invoice\u202Efdp.exe',
    `${'a'.repeat(300)}.pdf`,
    'a"b.pdf',
    'a\r\nContent-Type: text/html\r\n\r\n.pdf',
    '.htaccess',
    '...',
    '',
    'résumé 🧾.png',
    '%2e%2e%2fpasswd',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

/** One part of a multipart body: a field (no `filename`) or a file. */
export interface Part {
  readonly name: string;
  readonly filename: string | null;
  readonly type: string | null;
  readonly content: Buffer;
}

const partArbitrary: fc.Arbitrary<Part> = fc.record({
  name: fc.oneof({ weight: 6, arbitrary: fc.constant('file') }, { weight: 1, arbitrary: fc.constantFrom('other', '', 'file[]', 'FILE') }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }),
  filename: fc.option(filenameArbitrary, { nil: null, freq: 6 }),
  type: fc.option(fc.constantFrom('application/pdf', 'image/png', 'text/html', 'image/svg+xml', 'application/octet-stream', ''), { nil: null, freq: 3 }),
  content: fileContentArbitrary,
});

/** Encodes parts by hand, so names and file names reach the wire as written (FormData would escape them). */
export function encodeMultipart(parts: readonly Part[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const filename = part.filename === null ? '' : `; filename="${part.filename}"`;
    const type = part.type === null ? '' : `\r\nContent-Type: ${part.type}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"${filename}${type}\r\n\r\n`, 'utf8'), part.content, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** Multipart bodies for the operators' upload: one to three parts, odd names and files, broken framing. */
export const multipartBodyArbitrary: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(fc.array(partArbitrary, { minLength: 1, maxLength: 3 }), fc.constantFrom('----fuzz', 'x', 'a'.repeat(70))).map(([parts, boundary]) => ({
      bytes: encodeMultipart(parts, boundary),
      contentType: `multipart/form-data; boundary=${boundary}`,
    })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('multipart/form-data; boundary=x', 'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/mixed; boundary=x', 'application/pdf')).map(
      ([bytes, contentType]) => ({ bytes: Buffer.from(bytes), contentType }),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<Body>({}, { bytes: Buffer.from('--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4'), contentType: 'multipart/form-data; boundary=x' }) },
);

// ---------------------------------------------------------------------------------------
// Whole calls

export interface OperationShape {
  readonly operation: ApiOperation;
  readonly queryParameters: readonly DocumentedParameter[];
  readonly pathParameters: readonly DocumentedParameter[];
  /** The request body's schema, for a JSON body. */
  readonly bodySchema?: JsonSchema;
}

/** Ids of real objects for a path parameter of a route (`id` of `/certificates/:id`), so cases reach the object. */
export type RealIds = (parameter: string, routePath: string) => readonly string[];

/** `/certificates/:id` with each parameter from `values`: real ids mostly, sometimes a conforming stranger or junk. */
function pathArbitrary(shape: OperationShape, options: SchemaArbitraryOptions, realIds: RealIds): fc.Arbitrary<string> {
  const segments = shape.operation.path.split('/').map((segment) => {
    if (!segment.startsWith(':')) return fc.constant(segment);
    const name = segment.slice(1);
    const documented = shape.pathParameters.find((p) => p.name === name);
    const ids = realIds(name, shape.operation.path);
    return fc.oneof(
      { weight: ids.length > 0 ? 12 : 0, arbitrary: ids.length > 0 ? fc.constantFrom(...ids) : fc.constant('') },
      { weight: 1, arbitrary: documented === undefined ? fc.string() : conforming(documented.schema, options).map(String) },
      { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('..', '%2e%2e', '%00', '%', 'cert_%2F..%2F')).map((s) => (/^%/.test(s) || s === '..' ? s : percentEncode(s))) },
    );
  });
  return fc.tuple(...segments).map((parts) => `/api/v1${parts.join('/')}`);
}

/** Calls for one operation: its path (real ids mostly), its query and its body, each conforming or hostile. */
export function callArbitrary(shape: OperationShape, options: SchemaArbitraryOptions, realIds: RealIds): fc.Arbitrary<RawCall> {
  const { operation } = shape;
  const method = operation.method.toUpperCase();
  const query = shape.queryParameters.length > 0 || operation.query !== undefined ? queryArbitrary(shape.queryParameters, options) : fc.constant('');
  let body: fc.Arbitrary<Body>;
  const declared = operation.body;
  if (declared === undefined) body = method === 'GET' ? fc.constant<Body>({}) : unexpectedBodyArbitrary;
  else if ('csv' in declared) body = csvBodyArbitrary(options);
  else if ('multipart' in declared) body = multipartBodyArbitrary;
  else body = jsonBodyArbitrary(shape.bodySchema ?? {}, options, declared.required);
  return fc.tuple(pathArbitrary(shape, options, realIds), query, body).map(([path, search, { bytes, contentType }]) => {
    const call: RawCall = { method, target: `${path}${search}`, ...(bytes === undefined ? {} : { body: bytes }), ...(contentType === undefined ? {} : { contentType }) };
    // fast-check prints a failing case with this: short, whatever the body's size.
    return Object.assign(call, { [fc.toStringMethod]: () => describeCall(call) });
  });
}

/** A call in one line, its body cut short: for failure messages. */
export function describeCall(call: RawCall): string {
  const body = call.body === undefined ? '' : ` body(${call.contentType ?? 'no Content-Type'}, ${call.body.length} B)=${JSON.stringify(call.body.subarray(0, 300).toString('utf8'))}`;
  return `${call.method} ${call.target.slice(0, 400)}${call.target.length > 400 ? '…' : ''}${body}`;
}
