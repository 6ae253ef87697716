#!/usr/bin/env node
/**
 * `npm run gen:schemas`: regenerates ts/generated/ from schemas/*.fbs.
 *
 * 1. `flatc --ts` writes the accessor and builder classes (one file per type under
 *    wfmirror/fb/, one re-export file per schema). Its relative imports have no extension
 *    (`from '../../wfmirror/fb/event'`), which NodeNext ESM refuses, so they are rewritten to
 *    `./event.js`; its one-line banner is replaced by a header naming the schema and this command.
 * 2. The schemas are parsed here (the subset we use: namespace, include, enum, union, table,
 *    root_type, file_identifier, `(required)`, defaults, comments) into
 *    ts/generated/schema-descriptors.ts, from which ts/serialization verifies untrusted buffers:
 *    the npm flatbuffers runtime has no verifier. test/serialization/schema-descriptors.test.ts
 *    checks these descriptors against what flatc generated (vtable slots, required fields, enum
 *    ranges, identifiers), so the two cannot drift apart.
 *
 * The output is deterministic (same schemas and flatc => same bytes), so CI regenerates and fails
 * when the committed tree differs. Any construct outside the subset is an error, not a guess:
 * descriptors that silently disagree with flatc would let the verifier pass what the generated
 * accessors then misread.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCHEMA_DIR = path.join(ROOT, 'schemas');
const OUT_DIR = path.join(ROOT, 'ts', 'generated');
/** The flatc whose output is committed (Debian bookworm's flatbuffers-compiler, which CI installs). */
const EXPECTED_FLATC = '2.0.8';

/** Byte size of each scalar type; aliases map to the canonical names flatc uses. */
const SCALARS = new Map([
  ['bool', 1],
  ['byte', 1],
  ['ubyte', 1],
  ['short', 2],
  ['ushort', 2],
  ['int', 4],
  ['uint', 4],
  ['long', 8],
  ['ulong', 8],
  ['float', 4],
  ['double', 8],
]);
const SCALAR_ALIASES = new Map([
  ['int8', 'byte'],
  ['uint8', 'ubyte'],
  ['int16', 'short'],
  ['uint16', 'ushort'],
  ['int32', 'int'],
  ['uint32', 'uint'],
  ['int64', 'long'],
  ['uint64', 'ulong'],
  ['float32', 'float'],
  ['float64', 'double'],
]);
const INTEGER_RANGES = new Map([
  ['byte', [-128, 127]],
  ['ubyte', [0, 255]],
  ['short', [-32768, 32767]],
  ['ushort', [0, 65535]],
  ['int', [-2147483648, 2147483647]],
  ['uint', [0, 4294967295]],
]);

/** A schema problem, reported with its file and line. */
class SchemaError extends Error {}

/** Splits one .fbs file into tokens with line numbers; comments (`//`, `///`) are dropped. */
function tokenize(text, file) {
  const tokens = [];
  const re =
    /\s+|\/\/[^\n]*|"((?:[^"\\\n]|\\.)*)"|([A-Za-z_][A-Za-z0-9_.]*)|([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+))|([{}()[\]:;,=])/y;
  let line = 1;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) throw new SchemaError(`${file}:${line}: unexpected character ${JSON.stringify(text[at])}`);
    if (m[1] !== undefined) tokens.push({ kind: 'string', value: JSON.parse(`"${m[1]}"`), line });
    else if (m[2] !== undefined) tokens.push({ kind: 'ident', value: m[2], line });
    else if (m[3] !== undefined) tokens.push({ kind: 'number', value: m[3], line });
    else if (m[4] !== undefined) tokens.push({ kind: 'punct', value: m[4], line });
    for (const ch of m[0]) if (ch === '\n') line++;
    at = re.lastIndex;
  }
  return tokens;
}

/** A cursor over one file's tokens with the expectations the grammar needs. */
class Cursor {
  constructor(tokens, file) {
    this.tokens = tokens;
    this.file = file;
    this.i = 0;
  }
  peek() {
    return this.tokens[this.i];
  }
  fail(message, token = this.peek()) {
    return new SchemaError(`${this.file}:${token ? token.line : 'end'}: ${message}`);
  }
  next() {
    const t = this.tokens[this.i++];
    if (t === undefined) throw this.fail('unexpected end of file');
    return t;
  }
  isPunct(value) {
    const t = this.peek();
    return t !== undefined && t.kind === 'punct' && t.value === value;
  }
  punct(value) {
    const t = this.next();
    if (t.kind !== 'punct' || t.value !== value) throw this.fail(`expected '${value}', got '${t.value}'`, t);
  }
  ident() {
    const t = this.next();
    if (t.kind !== 'ident') throw this.fail(`expected a name, got '${t.value}'`, t);
    return t.value;
  }
  string() {
    const t = this.next();
    if (t.kind !== 'string') throw this.fail(`expected a string, got '${t.value}'`, t);
    return t.value;
  }
  /** A default or enum value: a number, `true`/`false`, or an enum member name. */
  scalarValue() {
    const t = this.next();
    if (t.kind === 'number' || t.kind === 'ident') return t;
    throw this.fail(`expected a value, got '${t.value}'`, t);
  }
}

/** Parses one file into its declarations; types stay unresolved (names) until all files are read. */
function parseFile(file, text) {
  const c = new Cursor(tokenize(text, file), file);
  const out = {
    file,
    namespace: undefined,
    includes: [],
    enums: [],
    unions: [],
    tables: [],
    rootType: undefined,
    identifier: undefined,
  };
  while (c.peek() !== undefined) {
    const start = c.peek();
    const keyword = c.ident();
    switch (keyword) {
      case 'namespace':
        out.namespace = c.ident();
        c.punct(';');
        break;
      case 'include':
        out.includes.push(c.string());
        c.punct(';');
        break;
      case 'enum':
        out.enums.push(parseEnum(c, start.line));
        break;
      case 'union':
        out.unions.push(parseUnion(c, start.line));
        break;
      case 'table':
        out.tables.push(parseTable(c, start.line));
        break;
      case 'root_type':
        if (out.rootType !== undefined) throw c.fail('a second root_type', start);
        out.rootType = c.ident();
        c.punct(';');
        break;
      case 'file_identifier': {
        const id = c.string();
        if (!/^[\x20-\x7e]{4}$/.test(id))
          throw c.fail(`file_identifier must be 4 printable ASCII characters, got ${JSON.stringify(id)}`, start);
        out.identifier = id;
        c.punct(';');
        break;
      }
      default:
        throw c.fail(`'${keyword}' is outside the schema subset gen-schemas understands`, start);
    }
  }
  if ((out.rootType === undefined) !== (out.identifier === undefined)) {
    throw new SchemaError(`${file}: root_type and file_identifier go together (one per root type)`);
  }
  return out;
}

function parseEnum(c, line) {
  const name = c.ident();
  c.punct(':');
  const type = canonicalScalar(c.ident());
  const range = INTEGER_RANGES.get(type);
  if (range === undefined || type === 'bool') throw c.fail(`enum ${name}: underlying type must be an integer of at most 32 bits`);
  noAttributes(c, `enum ${name}`);
  c.punct('{');
  const values = [];
  let nextValue = 0;
  while (!c.isPunct('}')) {
    const member = c.ident();
    let value = nextValue;
    if (c.isPunct('=')) {
      c.punct('=');
      const t = c.scalarValue();
      value = Number(t.value);
      if (t.kind !== 'number' || !Number.isInteger(value)) throw c.fail(`enum ${name}.${member}: value must be an integer`, t);
    }
    values.push({ name: member, value });
    nextValue = value + 1;
    if (!c.isPunct('}')) c.punct(',');
  }
  c.punct('}');
  // Contiguous from 0 keeps the verifier's check a single `value <= max` (and is what we write).
  values.forEach((v, i) => {
    if (v.value !== i)
      throw new SchemaError(`${c.file}:${line}: enum ${name}: values must be 0, 1, 2... in order (${v.name} = ${v.value})`);
  });
  if (values.length === 0) throw new SchemaError(`${c.file}:${line}: enum ${name} has no values`);
  if (values.length - 1 > range[1]) throw new SchemaError(`${c.file}:${line}: enum ${name} does not fit its type ${type}`);
  return { name, type, values, line };
}

function parseUnion(c, line) {
  const name = c.ident();
  noAttributes(c, `union ${name}`);
  c.punct('{');
  const members = [];
  while (!c.isPunct('}')) {
    members.push(c.ident());
    if (c.isPunct(':')) throw c.fail(`union ${name}: aliased members are outside the subset`);
    if (!c.isPunct('}')) c.punct(',');
  }
  c.punct('}');
  if (members.length === 0 || members.length > 255)
    throw new SchemaError(`${c.file}:${line}: union ${name} must have 1..255 members`);
  return { name, members, line };
}

function parseTable(c, line) {
  const name = c.ident();
  noAttributes(c, `table ${name}`);
  c.punct('{');
  const fields = [];
  while (!c.isPunct('}')) {
    const fieldLine = c.peek()?.line;
    const fieldName = c.ident();
    c.punct(':');
    let type;
    if (c.isPunct('[')) {
      c.punct('[');
      type = { vectorOf: c.ident() };
      c.punct(']');
    } else {
      type = { name: c.ident() };
    }
    let defaultToken;
    if (c.isPunct('=')) {
      c.punct('=');
      defaultToken = c.scalarValue();
    }
    let required = false;
    if (c.isPunct('(')) {
      c.punct('(');
      while (!c.isPunct(')')) {
        const attr = c.ident();
        if (attr !== 'required')
          throw c.fail(`${name}.${fieldName}: attribute '${attr}' is outside the subset (only 'required')`);
        required = true;
        if (!c.isPunct(')')) c.punct(',');
      }
      c.punct(')');
    }
    c.punct(';');
    fields.push({ name: fieldName, type, defaultToken, required, line: fieldLine });
  }
  c.punct('}');
  return { name, fields, line };
}

function noAttributes(c, what) {
  if (c.isPunct('(')) throw c.fail(`${what}: attributes are outside the subset`);
}

function canonicalScalar(name) {
  return SCALAR_ALIASES.get(name) ?? name;
}

/**
 * Reads every .fbs in `dir` (and what they include) and resolves them into descriptors:
 * `{ files, enums, unions, tables, roots }`, each list in file order then declaration order.
 */
export function parseSchemas(dir) {
  const fileNames = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.fbs'))
    .sort();
  const files = fileNames.map((f) => parseFile(f, fs.readFileSync(path.join(dir, f), 'utf8')));
  const byFile = new Map(files.map((f) => [f.file, f]));
  const kinds = new Map(); // type name -> { kind, decl, file }
  for (const f of files) {
    if (f.namespace !== 'wfmirror.fb') throw new SchemaError(`${f.file}: namespace must be wfmirror.fb, got ${f.namespace}`);
    for (const inc of f.includes)
      if (!byFile.has(inc)) throw new SchemaError(`${f.file}: include "${inc}" is not a schema in ${dir}`);
    for (const [kind, list] of [
      ['enum', f.enums],
      ['union', f.unions],
      ['table', f.tables],
    ]) {
      for (const decl of list) {
        if (kinds.has(decl.name)) throw new SchemaError(`${f.file}:${decl.line}: ${decl.name} is declared twice`);
        kinds.set(decl.name, { kind, decl, file: f.file });
      }
    }
  }

  const enums = [];
  for (const f of files) {
    for (const e of f.enums) {
      enums.push({
        name: e.name,
        schema: f.file,
        type: e.type,
        values: e.values.map((v) => [v.name, v.value]),
        max: e.values.length - 1,
      });
    }
  }
  const unions = [];
  for (const f of files) {
    for (const u of f.unions) {
      for (const m of u.members) {
        if (kinds.get(m)?.kind !== 'table')
          throw new SchemaError(`${f.file}:${u.line}: union ${u.name}: member ${m} is not a table`);
      }
      unions.push({ name: u.name, schema: f.file, members: u.members });
    }
  }

  const tables = [];
  for (const f of files) {
    for (const t of f.tables) {
      let id = 0;
      const fields = [];
      const where = (field) => `${f.file}:${field.line}: ${t.name}.${field.name}`;
      for (const field of t.fields) {
        const base = { name: field.name, slot: 4 + 2 * id, required: field.required };
        if (field.type.vectorOf !== undefined) {
          if (field.defaultToken) throw new SchemaError(`${where(field)}: a vector has no default`);
          const element = resolveElement(field.type.vectorOf, kinds, where(field));
          fields.push({ ...base, kind: 'vector', element });
          id += 1;
          continue;
        }
        const typeName = canonicalScalar(field.type.name);
        const size = SCALARS.get(typeName);
        const named = kinds.get(typeName);
        if (size !== undefined) {
          if (field.required) throw new SchemaError(`${where(field)}: a scalar cannot be required`);
          if (typeName === 'bool') {
            fields.push({ ...base, kind: 'bool', size: 1, defaultValue: boolDefault(field.defaultToken, where(field)) });
          } else {
            fields.push({
              ...base,
              kind: 'scalar',
              type: typeName,
              size,
              defaultValue: numberDefault(field.defaultToken, typeName, where(field)),
            });
          }
          id += 1;
        } else if (typeName === 'string') {
          if (field.defaultToken) throw new SchemaError(`${where(field)}: string defaults are outside the subset`);
          fields.push({ ...base, kind: 'string' });
          id += 1;
        } else if (named?.kind === 'enum') {
          if (field.required) throw new SchemaError(`${where(field)}: an enum cannot be required`);
          const e = named.decl;
          fields.push({
            ...base,
            kind: 'enum',
            enum: e.name,
            type: e.type,
            size: SCALARS.get(e.type),
            max: e.values.length - 1,
            defaultValue: enumDefault(field.defaultToken, e, where(field)),
          });
          id += 1;
        } else if (named?.kind === 'table') {
          if (field.defaultToken) throw new SchemaError(`${where(field)}: a table has no default`);
          fields.push({ ...base, kind: 'table', table: typeName });
          id += 1;
        } else if (named?.kind === 'union') {
          if (field.defaultToken) throw new SchemaError(`${where(field)}: a union has no default`);
          // A union takes two ids: the hidden `<name>_type` (ubyte) first, then the value.
          fields.push({
            ...base,
            slot: 4 + 2 * (id + 1),
            typeSlot: 4 + 2 * id,
            kind: 'union',
            union: typeName,
            members: named.decl.members,
          });
          id += 2;
        } else {
          throw new SchemaError(`${where(field)}: unknown type ${field.type.name}`);
        }
      }
      tables.push({ name: t.name, schema: f.file, fieldIds: id, fields });
    }
  }

  const roots = [];
  for (const f of files) {
    if (f.rootType === undefined) continue;
    if (kinds.get(f.rootType)?.kind !== 'table') throw new SchemaError(`${f.file}: root_type ${f.rootType} is not a table`);
    if (roots.some((r) => r.identifier === f.identifier))
      throw new SchemaError(`${f.file}: file_identifier ${f.identifier} is used twice`);
    roots.push({ table: f.rootType, identifier: f.identifier, schema: f.file });
  }
  const declaredIn = new Map([...kinds].map(([name, k]) => [name, k.file]));
  return { files: fileNames, enums, unions, tables, roots, declaredIn };
}

function resolveElement(name, kinds, where) {
  const typeName = canonicalScalar(name);
  const size = SCALARS.get(typeName);
  if (typeName === 'bool') return { kind: 'bool', size: 1 };
  if (size !== undefined) return { kind: 'scalar', type: typeName, size };
  if (typeName === 'string') return { kind: 'string' };
  const named = kinds.get(typeName);
  if (named?.kind === 'enum') {
    const e = named.decl;
    return { kind: 'enum', enum: e.name, type: e.type, size: SCALARS.get(e.type), max: e.values.length - 1 };
  }
  if (named?.kind === 'table') return { kind: 'table', table: typeName };
  throw new SchemaError(`${where}: vectors of ${name} are outside the subset`);
}

function boolDefault(token, where) {
  if (token === undefined) return false;
  if (token.value === 'true' || token.value === '1') return true;
  if (token.value === 'false' || token.value === '0') return false;
  throw new SchemaError(`${where}: bad bool default ${token.value}`);
}

function numberDefault(token, type, where) {
  if (token === undefined) return 0;
  const value = Number(token.value);
  if (token.kind !== 'number' || !Number.isFinite(value)) throw new SchemaError(`${where}: bad default ${token.value}`);
  const range = INTEGER_RANGES.get(type);
  if ((type === 'long' || type === 'ulong' || range !== undefined) && !Number.isInteger(value)) {
    throw new SchemaError(`${where}: default ${token.value} is not an integer`);
  }
  if (range !== undefined && (value < range[0] || value > range[1]))
    throw new SchemaError(`${where}: default ${token.value} does not fit ${type}`);
  return value;
}

function enumDefault(token, e, where) {
  if (token === undefined) {
    // flatc's implicit default is 0, which must then be a member.
    return 0;
  }
  const byName = e.values.find((v) => v.name === token.value);
  if (byName !== undefined) return byName.value;
  const value = Number(token.value);
  if (token.kind === 'number' && e.values.some((v) => v.value === value)) return value;
  throw new SchemaError(`${where}: default ${token.value} is not a member of ${e.name}`);
}

/** The source of ts/generated/schema-descriptors.ts. */
export function descriptorSource(schemas, flatcVersion) {
  const q = (s) => `'${s}'`;
  const lines = [
    header(`schemas/{${schemas.files.join(',')}}`, flatcVersion),
    '/**',
    " * The schemas as data, for the verifier (ts/serialization/verify.ts): per table, each field's vtable",
    " * slot, kind and size. Parsed from the .fbs by scripts/gen-schemas.mjs, checked against flatc's",
    ' * output by test/serialization/schema-descriptors.test.ts.',
    ' */',
    "import type { EnumDescriptor, RootDescriptor, TableDescriptor } from '../serialization/schema-descriptor.js';",
    '',
    '/** Every table of the schemas. */',
    `export type TableName = ${schemas.tables.map((t) => q(t.name)).join(' | ')};`,
    '',
    '/** Every root type (a table with a root_type and a file_identifier). */',
    `export type RootName = ${schemas.roots.map((r) => q(r.table)).join(' | ')};`,
    '',
    '/** Enums, by name. */',
    'export const ENUMS: Readonly<Record<string, EnumDescriptor>> = {',
  ];
  for (const e of schemas.enums) {
    const values = e.values.map(([n, v]) => `${n}: ${v}`).join(', ');
    lines.push(
      `  ${e.name}: { name: ${q(e.name)}, schema: ${q(e.schema)}, type: ${q(e.type)}, values: { ${values} }, max: ${e.max} },`,
    );
  }
  lines.push(
    '};',
    '',
    '/** Tables, by name. */',
    'export const TABLES: Readonly<Record<TableName, TableDescriptor<TableName>>> = {',
  );
  for (const t of schemas.tables) {
    lines.push(
      `  ${t.name}: {`,
      `    name: ${q(t.name)},`,
      `    schema: ${q(t.schema)},`,
      `    fieldIds: ${t.fieldIds},`,
      '    fields: [',
    );
    for (const f of t.fields) lines.push(`      ${lit(f)},`);
    lines.push('    ],', '  },');
  }
  lines.push(
    '};',
    '',
    '/** Root types, by table name. */',
    'export const ROOTS: Readonly<Record<RootName, RootDescriptor<TableName>>> = {',
  );
  for (const r of schemas.roots) {
    lines.push(`  ${r.table}: { table: ${q(r.table)}, identifier: ${q(r.identifier)}, schema: ${q(r.schema)} },`);
  }
  lines.push('};', '');
  return lines.join('\n');
}

/** A descriptor as a TS literal: unquoted keys, single-quoted strings (names are identifiers). */
function lit(value) {
  if (Array.isArray(value)) return `[${value.map(lit).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${lit(v)}`)
      .join(', ')} }`;
  }
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function header(source, flatcVersion) {
  return [
    `// Generated by \`npm run gen:schemas\` (scripts/gen-schemas.mjs, flatc ${flatcVersion}) from ${source}.`,
    '// Do not edit: change the schema and run the command again.',
    '',
    '',
  ].join('\n');
}

/** flatc's kebab-case file name for a type (`EventPayload` -> `event-payload`). */
function kebab(name) {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** Finds flatc and its version, or explains how to get it. */
function findFlatc() {
  const flatc = process.env.FLATC || 'flatc';
  const probe = spawnSync(flatc, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    const why = probe.error?.code === 'ENOENT' ? 'was not found' : `did not run (${probe.error?.message ?? probe.stderr.trim()})`;
    console.error(
      `gen:schemas: the FlatBuffers compiler \`${flatc}\` ${why}.\n` +
        `Install flatc ${EXPECTED_FLATC} (Debian/Ubuntu: apt-get install flatbuffers-compiler), or point FLATC at it.\n` +
        'CI installs it and checks that ts/generated is current; nothing was changed here.',
    );
    process.exit(1);
  }
  const version = /(\d+\.\d+\.\d+)/.exec(probe.stdout)?.[1] ?? probe.stdout.trim();
  if (version !== EXPECTED_FLATC) {
    console.warn(
      `gen:schemas: warning: flatc ${version} is not ${EXPECTED_FLATC}, the version the committed code comes from; CI will see a difference.`,
    );
  }
  return { flatc, version };
}

/** Rewrites flatc's extensionless relative imports of one generated file to NodeNext `.js` ones. */
function rewriteImports(source, fileRel) {
  const dir = path.posix.dirname(fileRel);
  return source.replace(/from '(\.{1,2}\/[^']*)'/g, (_, spec) => {
    const target = path.posix.normalize(path.posix.join(dir, spec));
    let rel = path.posix.relative(dir, target);
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return `from '${rel}.js'`;
  });
}

function listFiles(dir, rel = '') {
  const out = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...listFiles(dir, r));
    else out.push(r);
  }
  return out.sort();
}

function main() {
  const schemas = parseSchemas(SCHEMA_DIR);
  const { flatc, version } = findFlatc();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wfmirror-gen-'));
  try {
    const inputs = schemas.files.map((f) => path.join(SCHEMA_DIR, f));
    const run = spawnSync(flatc, ['--ts', '-o', tmp, ...inputs], { encoding: 'utf8' });
    if (run.status !== 0) {
      console.error(`gen:schemas: flatc failed:\n${run.stdout}${run.stderr}`);
      process.exit(1);
    }
    const outputs = new Map();
    for (const rel of listFiles(tmp)) {
      let schema;
      const rootFile = /^([a-z0-9-]+)_generated\.ts$/.exec(rel);
      const typeFile = /^wfmirror\/fb\/([a-z0-9-]+)\.ts$/.exec(rel);
      if (rootFile) schema = `${rootFile[1]}.fbs`;
      else if (typeFile) schema = [...schemas.declaredIn].find(([name]) => kebab(name) === typeFile[1])?.[1];
      if (schema === undefined || !schemas.files.includes(schema)) {
        throw new SchemaError(
          `flatc wrote ${rel}, which gen-schemas cannot trace to a schema (is the parser missing a construct?)`,
        );
      }
      const text = fs
        .readFileSync(path.join(tmp, rel), 'utf8')
        .replace(/^\/\/ automatically generated by the FlatBuffers compiler, do not modify\n+/, '');
      outputs.set(rel, `${header(`schemas/${schema}`, version)}${rewriteImports(text, rel)}`);
    }
    outputs.set('schema-descriptors.ts', descriptorSource(schemas, version));
    fs.rmSync(OUT_DIR, { recursive: true, force: true });
    for (const [rel, text] of outputs) {
      fs.mkdirSync(path.dirname(path.join(OUT_DIR, rel)), { recursive: true });
      fs.writeFileSync(path.join(OUT_DIR, rel), text);
    }
    console.log(
      `gen:schemas: wrote ${outputs.size} files to ${path.relative(ROOT, OUT_DIR)}/ from ${schemas.files.length} schemas (flatc ${version})`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  try {
    main();
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    console.error(`gen:schemas: ${error.message}`);
    process.exit(1);
  }
}
