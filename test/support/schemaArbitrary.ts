/**
 * fast-check arbitraries built from the JSON Schemas of the OpenAPI document, for fuzzing the
 * API. Generating from the document rather than by hand means a new route or field is fuzzed
 * without anyone writing a generator for it.
 *
 * `conforming` produces values that mostly satisfy the schema (so cases get past validation to
 * the code behind it, where the interesting failures are); `mutated` takes such a value and
 * breaks one spot of it with a hostile value, a missing or an unknown field. Refinements the
 * schema cannot express (cross-field rules) are left to chance, which is the point of fuzzing.
 */
import fc from 'fast-check';

export type JsonSchema = { readonly [key: string]: unknown };

export interface SchemaArbitraryOptions {
  /** The document's `components.schemas`, for `$ref`s. */
  readonly components: Readonly<Record<string, JsonSchema>>;
  /** Values to try often for a property of this name: real ids, so cases reach past the lookups. */
  readonly hints?: Readonly<Record<string, readonly unknown[]>>;
  /** Caps arrays: long ones cost time and reach no new code. */
  readonly maxArrayItems?: number;
}

const REF_PREFIX = '#/components/schemas/';

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaList(value: unknown): JsonSchema[] {
  return Array.isArray(value) ? value.filter(isSchema) : [];
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** Strings a validator, a query builder or a page might trip over; any of them may replace a conforming value. */
export const hostileStrings: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u202Etxt.exe',
  '\uFEFF',
  '\uD800',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'; DROP TABLE certificates; --",
  '{"$gt":""}',
  '$where',
  '__proto__',
  'constructor',
  '../../../../etc/passwd',
  '%00',
  '%',
  '=cmd|" /C calc"!A0',
  '9999-99-99',
  '2026-02-30',
  '0000-01-01',
  '-1',
  '1e309',
  'NaN',
  'null',
  'true',
  'US-TX\n',
  ' us-tx ',
  'cert_000000000000000000000000',
  'Zürich 🧾 𝒳',
  'x'.repeat(300),
  'y'.repeat(70_000),
];

/** Any JSON value a client could send where a field's value belongs, hostile strings and operator objects included. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(...hostileStrings) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, 2 ** 53 + 2, -(2 ** 31), 1e308, [], {}, [null], { $gt: '' }, { $ne: null }, { $where: 'sleep(100)' }, { $regex: '.*' }),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

/** A value that satisfies `schema` as far as JSON Schema can say, with hints mixed in for named properties. */
export function conforming(schema: JsonSchema, options: SchemaArbitraryOptions, name?: string): fc.Arbitrary<unknown> {
  const plain = fromSchema(schema, options, 0);
  const hinted = name === undefined ? undefined : options.hints?.[name];
  if (hinted === undefined || hinted.length === 0) return plain;
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...hinted) }, { weight: 1, arbitrary: plain });
}

function fromSchema(schema: JsonSchema, options: SchemaArbitraryOptions, depth: number): fc.Arbitrary<unknown> {
  if (depth > 12) return fc.constant(null);
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const target = ref.startsWith(REF_PREFIX) ? options.components[ref.slice(REF_PREFIX.length)] : undefined;
    if (target === undefined) throw new Error(`Cannot resolve ${ref}`);
    return fromSchema(target, options, depth + 1);
  }
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = [...schemaList(schema.anyOf), ...schemaList(schema.oneOf)];
  if (alternatives.length > 0) {
    // `anyOf` beside a type (zod's file part) only narrows it: the type decides.
    if (schema.type === undefined) return fc.oneof(...alternatives.map((alternative) => fromSchema(alternative, options, depth + 1)));
  }
  switch (schema.type) {
    case 'string':
      return stringFrom(schema);
    case 'integer':
      return integerFrom(schema);
    case 'number':
      return fc.double({ min: numberOr(schema.minimum, -1e6), max: numberOr(schema.maximum, 1e6), noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return arrayFrom(schema, options, depth);
    case 'object':
      return objectFrom(schema, options, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringFrom(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = numberOr(schema.minLength, 0);
  const maxLength = numberOr(schema.maxLength, 40);
  const arbitraries: fc.Arbitrary<string>[] = [];
  if (typeof schema.pattern === 'string') {
    arbitraries.push(fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= maxLength));
  } else if (schema.format === 'email') {
    arbitraries.push(fc.emailAddress());
  } else {
    arbitraries.push(fc.string({ minLength, maxLength: Math.min(maxLength, minLength + 40) }));
    arbitraries.push(fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, minLength + 20) }));
  }
  const examples = Array.isArray(schema.examples) ? schema.examples.filter((e): e is string => typeof e === 'string') : [];
  if (examples.length > 0) arbitraries.push(fc.constantFrom(...examples));
  return fc.oneof(...arbitraries);
}

function integerFrom(schema: JsonSchema): fc.Arbitrary<number> {
  const exclusive = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : undefined;
  const min = exclusive ?? numberOr(schema.minimum, -1000);
  const max = numberOr(schema.maximum, Math.max(min + 1000, 1000));
  return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max));
}

function arrayFrom(schema: JsonSchema, options: SchemaArbitraryOptions, depth: number): fc.Arbitrary<unknown[]> {
  const items = isSchema(schema.items) ? fromSchema(schema.items, options, depth + 1) : fc.jsonValue({ maxDepth: 1 });
  const minLength = numberOr(schema.minItems, 0);
  const maxLength = Math.max(minLength, Math.min(numberOr(schema.maxItems, 4), options.maxArrayItems ?? 4));
  return fc.array(items, { minLength, maxLength });
}

function objectFrom(schema: JsonSchema, options: SchemaArbitraryOptions, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((key): key is string => typeof key === 'string') : [];
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, property] of Object.entries(properties)) {
    if (isSchema(property)) shape[key] = withHint(fromSchema(property, options, depth + 1), key, options);
  }
  const fixed = fc.record(shape, { requiredKeys: required.filter((key) => key in shape) });
  if (!isSchema(schema.additionalProperties)) return fixed;
  // A map (`filingFrequencies`): keys from `propertyNames`, values from `additionalProperties`.
  const keys = isSchema(schema.propertyNames) ? (fromSchema(schema.propertyNames, options, depth + 1) as fc.Arbitrary<string>) : fc.string({ maxLength: 10 });
  const values = fromSchema(schema.additionalProperties, options, depth + 1);
  return fc.tuple(fixed, fc.dictionary(keys, values, { maxKeys: 4 })).map(([known, extra]) => ({ ...extra, ...known }));
}

function withHint(arbitrary: fc.Arbitrary<unknown>, key: string, options: SchemaArbitraryOptions): fc.Arbitrary<unknown> {
  const hinted = options.hints?.[key];
  if (hinted === undefined || hinted.length === 0) return arbitrary;
  return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...hinted) }, { weight: 1, arbitrary });
}

// ---------------------------------------------------------------------------------------
// Mutations: one spot of a conforming value broken.

type Spot = readonly (string | number)[];

/** Every place in a JSON value: the root, and each property and item below it. */
function spotsIn(value: unknown, at: Spot = []): Spot[] {
  const spots: Spot[] = [at];
  if (Array.isArray(value)) value.forEach((item, index) => spots.push(...spotsIn(item, [...at, index])));
  else if (isSchema(value)) for (const [key, item] of Object.entries(value)) spots.push(...spotsIn(item, [...at, key]));
  return spots;
}

type Mutation = 'replace' | 'drop' | 'add' | 'wrap';

function applyMutation(value: unknown, spot: Spot, mutation: Mutation, replacement: unknown, extraKey: string): unknown {
  const copy: unknown = structuredClone(value);
  if (spot.length === 0) {
    if (mutation === 'add' && isSchema(copy)) return { ...copy, [extraKey]: replacement };
    return mutation === 'wrap' ? [copy] : replacement;
  }
  let parent: unknown = copy;
  for (const step of spot.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[step];
  const last = spot[spot.length - 1] as string | number;
  const container = parent as Record<string | number, unknown>;
  if (mutation === 'drop') {
    if (Array.isArray(container) && typeof last === 'number') container.splice(last, 1);
    else delete container[last];
  } else if (mutation === 'add' && isSchema(container[last])) {
    // defineProperty, so `__proto__` becomes an own key that JSON carries, as an attacker's body would.
    Object.defineProperty(container[last], extraKey, { value: replacement, enumerable: true, writable: true, configurable: true });
  } else if (mutation === 'wrap') {
    container[last] = [container[last]];
  } else {
    container[last] = replacement;
  }
  return copy;
}

/** `base`'s values with one spot replaced, dropped, wrapped in an array, or given an unknown field. */
export function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(base, fc.nat(), fc.constantFrom<Mutation>('replace', 'replace', 'drop', 'add', 'wrap'), hostileValue, fc.constantFrom('colour', '__proto__', 'constructor', '$set', 'a.b', 'accountId', 'livemode'))
    .map(([value, pick, mutation, replacement, extraKey]) => {
      const spots = spotsIn(value);
      return applyMutation(value, spots[pick % spots.length] ?? [], mutation, replacement, extraKey);
    });
}
