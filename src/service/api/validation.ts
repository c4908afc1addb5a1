// What the API says of a request its route's schema refuses, in the words of the query model's own errors: the field
// with dots and [i] ("queries[0].refId: must not be empty"), what it must be, and for an object what to send. ajv's
// own messages name fields by slash paths ("queries/0/refId") and speak its jargon ("must NOT have fewer than 1
// characters", "must match a schema in anyOf"), which tell a user of the API neither what is wrong nor what to do.
import type { ApiErrorCode } from '../../model/api';
import { DECIMAL_TEXT, wholeDecimalNumber } from '../../model/decimal';

/** A field's schema, as far as the messages read it: `description` says what to send (an object's, an example). */
export interface FieldSchema {
  type?: string;
  minimum?: number;
  maximum?: number;
  description?: string;
}

/** A body's schema, as far as strictBodyTypes walks it. */
export interface BodySchema extends FieldSchema {
  properties?: Record<string, BodySchema>;
  items?: BodySchema;
  anyOf?: BodySchema[];
}

/**
 * The first field of a JSON body whose value ajv would coerce into the type its schema declares: for query strings,
 * which are text, ajv must coerce; a JSON body has types of its own, and coerced, {"days": true} started a 1-day
 * backfill, [3] was 3, null was 0 and "queries": "x" was ["x"]. A number may still come as decimal text (Grafana's
 * variables are text), which ajv then coerces; "0x10" may not. Returned as the schema error validationMessage words.
 */
export function strictBodyTypes(data: unknown, schema: BodySchema, path = ''): SchemaError | undefined {
  const refused = (): SchemaError => ({ keyword: 'type', instancePath: path, params: { type: schema.type }, parentSchema: schema, data });
  switch (schema.type) {
    case 'number':
      return typeof data === 'number' || (typeof data === 'string' && DECIMAL_TEXT.test(data)) ? undefined : refused();
    case 'integer':
      // ajv's coercion, as Number(), read "10000.0000000000000001" as the whole 10000: a fraction is refused as written.
      return typeof data === 'number' || (typeof data === 'string' && !Number.isNaN(wholeDecimalNumber(data))) ? undefined : refused();
    case 'string':
      // A number is harmless as text (a refId of 1); null was "" (then "must not be empty"), true "true" and ["A"] "A".
      return typeof data === 'string' || typeof data === 'number' ? undefined : refused();
    case 'array':
      if (!Array.isArray(data)) return refused();
      if (!schema.items) return undefined;
      for (const [i, item] of data.entries()) {
        const error = strictBodyTypes(item, schema.items, `${path}/${i}`);
        if (error) return error;
      }
      return undefined;
    case 'object':
      // Not an object: ajv cannot coerce one, and refuses it in the same words.
      if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
      for (const [key, field] of Object.entries(schema.properties ?? {})) {
        const value = (data as Record<string, unknown>)[key];
        const error = value === undefined ? undefined : strictBodyTypes(value, field, `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
        if (error) return error;
      }
      return undefined;
    default:
      // A union of text and a number (a time, read by parseTime): ajv's coercion would take [0] as "0" (the epoch), null
      // as "" and true as "true", which a refusal would then quote as if they had been sent.
      if (schema.anyOf?.every((s) => s.type === 'string' || s.type === 'number') && typeof data !== 'string' && typeof data !== 'number') {
        return { ...refused(), keyword: 'anyOf', params: {} };
      }
      return undefined;
  }
}

/** The parts of an ajv error read here; `parentSchema` and `data` are there with ajv's `verbose` option. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: FieldSchema;
  data?: unknown;
}

/** A field's name from ajv's path: "/queries/0/refId" is "queries[0].refId", as the model names "filters.user[2]". */
export function fieldName(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), '');
}

const KINDS: Record<string, string> = {
  object: 'a JSON object',
  array: 'a list',
  string: 'text',
  boolean: 'true or false',
  number: 'a number',
  integer: 'a whole number',
};

/** What a value must be, from its schema: "a whole number from 1 to 10000", as the model says of a query's limit. */
function expected(schema: FieldSchema): string {
  const kind = KINDS[schema.type ?? ''] ?? `of type ${schema.type}`;
  const { minimum: min, maximum: max } = schema;
  let bounds = '';
  if (min !== undefined && max !== undefined) bounds = ` from ${min} to ${max}`;
  else if (min !== undefined) bounds = ` of at least ${min}`;
  else if (max !== undefined) bounds = ` of at most ${max}`;
  if (!schema.description) return kind + bounds;
  // An object's or a list's description is what to send; a number's says what it counts.
  return schema.type === 'object' || schema.type === 'array' ? `${kind}: ${schema.description}` : `${kind}${bounds} (${schema.description})`;
}

/**
 * The error validationMessage words: for a union (a time: text or a number), ajv lists each branch's error, then the
 * anyOf's, whose description says it all.
 */
const worded = (errors: readonly SchemaError[]): SchemaError | undefined => errors.find((e) => e.keyword === 'anyOf') ?? errors[0];

/** validationMessage's error and its code: `unknown-value` for a value not among a schema's enum (one this service does not know). */
export function validationError(errors: readonly SchemaError[], context: string | undefined): { error: string; code: ApiErrorCode } {
  return { error: validationMessage(errors, context), code: worded(errors)?.keyword === 'enum' ? 'unknown-value' : 'invalid-request' };
}

/** The message for the first of a request part's schema errors (its body, query string or path parameters). */
export function validationMessage(errors: readonly SchemaError[], context: string | undefined): string {
  const error = worded(errors);
  if (!error) return 'the request is not valid';
  const field = fieldName(error.instancePath);
  const schema = error.parentSchema ?? {};
  const about = (what: string) => (field ? `${field}: ${what}` : `${context === 'body' ? 'the body' : 'the request'} ${what}`);
  switch (error.keyword) {
    case 'required': {
      const missing = String(error.params.missingProperty);
      const required = `${[field, missing].filter(Boolean).join('.')} is required`;
      // An object or a list: its shape, which a client that sent its fields elsewhere (from and to beside range) needs.
      const part = (schema as BodySchema).properties?.[missing];
      if (!part?.description || (part.type !== 'object' && part.type !== 'array')) return required;
      const given = error.data !== null && typeof error.data === 'object' ? Object.keys(error.data) : [];
      const misplaced = Object.keys(part.properties ?? {}).filter((name) => given.includes(name));
      const where = misplaced.length ? ` (${misplaced.join(' and ')} ${misplaced.length > 1 ? 'belong' : 'belongs'} inside ${missing})` : '';
      return `${required}: ${expected(part)}${where}`;
    }
    case 'type':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return about(`must be ${expected(schema)}`);
    case 'anyOf':
      return about(`must be ${schema.description ?? 'of another type'}`);
    case 'minLength':
      return about(error.params.limit === 1 ? 'must not be empty' : `must be at least ${error.params.limit} characters long`);
    case 'maxLength': {
      // ajv counts characters (code points), not UTF-16 units: an emoji is one.
      const given = typeof error.data === 'string' ? ` (it has ${[...error.data].length})` : '';
      return about(`must be at most ${error.params.limit} characters long${given}`);
    }
    case 'maxItems':
      return about(`must hold at most ${error.params.limit} items`);
    case 'enum':
      return about(`${JSON.stringify(error.data)} is not one of ${(error.params.allowedValues as unknown[]).join(', ')}`);
    default:
      // A keyword the schemas above do not use yet: ajv's words, at least without its capitals and with the field named.
      return about((error.message ?? 'is not valid').replaceAll('must NOT', 'must not'));
  }
}
