/**
 * A small interpreter for the part of JSON Schema (draft 2020-12) the profile schema uses: `type`,
 * `required`, `properties`, `additionalProperties` (boolean), `enum`, `const`, `items`, `minItems`,
 * `uniqueItems`, `minimum`, `minLength`, and `$ref` into the same document. No npm validator: the
 * package adds no dependencies for one schema.
 *
 * The schema is checked when compiled: a keyword outside that list (other than annotations such as
 * `description`) throws {@link UnsupportedSchemaError}. So nobody can add, say, `pattern` to the schema
 * and believe it is enforced while the validator silently ignores it.
 */
import { type ProfileProblem, UnsupportedSchemaError } from './errors.js';

/** Checks a JSON value; returns every problem found (empty when valid), each at a JSON pointer. */
export type SchemaCheck = (value: unknown) => ProfileProblem[];

type SchemaNode = { readonly [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$comment', 'default', 'examples']);
const TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null']);

/** Escapes one reference token of a JSON pointer (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

function isNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values (for `enum`, `const`, `uniqueItems`). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  // Every integer is also a number; JSON has no other overlap between types.
  return actual === type || (type === 'number' && actual === 'integer');
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return `${typeOf(value)}${text !== undefined && typeof value !== 'object' ? ` ${text}` : ''}`;
}

/** Walks the schema once, refusing anything this interpreter would not enforce. */
function checkSchema(root: SchemaNode, node: unknown, path: string): void {
  if (!isNode(node)) throw new UnsupportedSchemaError(path, 'a schema must be an object (boolean schemas are not supported)');
  const fail = (keyword: string, message: string): never => {
    throw new UnsupportedSchemaError(`${path}/${pointerToken(keyword)}`, message);
  };
  for (const [keyword, value] of Object.entries(node)) {
    if (ANNOTATIONS.has(keyword)) continue;
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(value) ? value : [value];
        if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) fail(keyword, 'unknown type');
        break;
      }
      case 'required':
        if (!Array.isArray(value) || !value.every((k) => typeof k === 'string')) fail(keyword, 'must be an array of strings');
        break;
      case 'properties':
      case '$defs':
        if (!isNode(value)) fail(keyword, 'must be an object of schemas');
        for (const [name, child] of Object.entries(value as SchemaNode)) {
          checkSchema(root, child, `${path}/${keyword}/${pointerToken(name)}`);
        }
        break;
      case 'additionalProperties':
        if (typeof value !== 'boolean') fail(keyword, 'only true or false is supported');
        break;
      case 'enum':
        if (!Array.isArray(value) || value.length === 0) fail(keyword, 'must be a non-empty array');
        break;
      case 'const':
        break;
      case 'items':
        checkSchema(root, value, `${path}/items`);
        break;
      case 'uniqueItems':
        if (typeof value !== 'boolean') fail(keyword, 'must be a boolean');
        break;
      case 'minItems':
      case 'minLength':
      case 'minimum':
        if (typeof value !== 'number' || !Number.isFinite(value)) fail(keyword, 'must be a number');
        break;
      case '$ref':
        if (typeof value !== 'string' || resolveRef(root, value) === undefined)
          fail(keyword, `cannot resolve ${JSON.stringify(value)}`);
        break;
      default:
        fail(keyword, `keyword "${keyword}" is not implemented by ts/hardware/json-schema-subset.ts`);
    }
  }
}

/** Resolves `#/a/b` within the same document; other documents are not supported. */
function resolveRef(root: SchemaNode, ref: string): SchemaNode | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isNode(node) || !Object.hasOwn(node, token)) return undefined;
    node = node[token];
  }
  return isNode(node) ? node : undefined;
}

function validate(root: SchemaNode, node: SchemaNode, value: unknown, path: string, problems: ProfileProblem[]): void {
  const ref = node['$ref'];
  // Checked at compile time, so the target exists. In 2020-12 `$ref` applies beside its siblings.
  if (typeof ref === 'string') validate(root, resolveRef(root, ref) as SchemaNode, value, path, problems);

  const type = node['type'];
  if (type !== undefined) {
    const types = (Array.isArray(type) ? type : [type]) as string[];
    if (!types.some((t) => hasType(value, t))) {
      problems.push({ path, message: `must be ${types.join(' or ')}, got ${describe(value)}` });
      return; // the remaining keywords would only repeat the same mistake
    }
  }
  if (Object.hasOwn(node, 'const') && !jsonEqual(value, node['const'])) {
    problems.push({ path, message: `must be ${JSON.stringify(node['const'])}, got ${JSON.stringify(value)}` });
  }
  const allowed = node['enum'];
  if (Array.isArray(allowed) && !allowed.some((a) => jsonEqual(a, value))) {
    problems.push({
      path,
      message: `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${JSON.stringify(value)}`,
    });
  }
  if (typeof value === 'number') checkNumber(node, value, path, problems);
  else if (typeof value === 'string') checkString(node, value, path, problems);
  else if (Array.isArray(value)) checkArray(root, node, value, path, problems);
  else if (isPlainObject(value)) checkObject(root, node, value, path, problems);
}

function checkNumber(node: SchemaNode, value: number, path: string, problems: ProfileProblem[]): void {
  const minimum = node['minimum'];
  if (typeof minimum === 'number' && value < minimum) problems.push({ path, message: `must be >= ${minimum}, got ${value}` });
}

function checkString(node: SchemaNode, value: string, path: string, problems: ProfileProblem[]): void {
  const minLength = node['minLength'];
  if (typeof minLength === 'number' && [...value].length < minLength) {
    problems.push({ path, message: `must be at least ${minLength} character(s) long` });
  }
}

function checkArray(root: SchemaNode, node: SchemaNode, value: unknown[], path: string, problems: ProfileProblem[]): void {
  const minItems = node['minItems'];
  if (typeof minItems === 'number' && value.length < minItems) {
    problems.push({ path, message: `must have at least ${minItems} item(s), got ${value.length}` });
  }
  if (node['uniqueItems'] === true) {
    value.forEach((item, i) => {
      const first = value.findIndex((other) => jsonEqual(other, item));
      if (first < i) problems.push({ path: `${path}/${i}`, message: `repeats item ${first} (${JSON.stringify(item)})` });
    });
  }
  const items = node['items'];
  if (isNode(items)) {
    value.forEach((item, i) => {
      validate(root, items, item, `${path}/${i}`, problems);
    });
  }
}

function checkObject(
  root: SchemaNode,
  node: SchemaNode,
  value: Record<string, unknown>,
  path: string,
  problems: ProfileProblem[],
): void {
  const properties = isNode(node['properties']) ? node['properties'] : {};
  const required = node['required'];
  if (Array.isArray(required)) {
    for (const key of required as string[]) {
      if (!Object.hasOwn(value, key)) problems.push({ path: `${path}/${pointerToken(key)}`, message: 'is required' });
    }
  }
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}/${pointerToken(key)}`;
    const childSchema = properties[key];
    if (Object.hasOwn(properties, key) && isNode(childSchema)) validate(root, childSchema, child, childPath, problems);
    else if (node['additionalProperties'] === false) {
      problems.push({ path: childPath, message: `is not allowed here (known: ${Object.keys(properties).join(', ')})` });
    }
  }
}

/**
 * Checks `schema` against the supported subset and returns a function that validates values with it.
 * Throws {@link UnsupportedSchemaError} when the schema uses anything the interpreter would not enforce.
 */
export function compileSchemaSubset(schema: unknown): SchemaCheck {
  if (!isNode(schema)) throw new UnsupportedSchemaError('', 'a schema must be an object');
  checkSchema(schema, schema, '');
  return (value) => {
    const problems: ProfileProblem[] = [];
    validate(schema, schema, value, '', problems);
    return problems;
  };
}
