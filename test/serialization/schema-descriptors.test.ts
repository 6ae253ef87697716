/**
 * The verifier trusts ts/generated/schema-descriptors.ts, which scripts/gen-schemas.mjs parses
 * out of the .fbs itself; the generated accessors come from flatc. These tests hold the two
 * against each other (vtable slots, builder field ids, scalar types and defaults, required
 * fields, enum values, union members, identifiers), so the parser cannot drift from flatc
 * unnoticed. They also check that the committed descriptors are what the parser makes of the
 * schemas today, and that the parser refuses constructs outside the subset it understands.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ENUMS, ROOTS, TABLES } from '../../ts/generated/schema-descriptors.js';
import type { FieldDescriptor, ScalarTypeName } from '../../ts/serialization/schema-descriptor.js';

const GENERATED = path.resolve('ts/generated');

/** flatc's names: `EventPayload` -> `event-payload` (files), `schema_version` -> `schemaVersion` (methods). */
const kebab = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (name: string) => camel(name).replace(/^[a-z]/, (c) => c.toUpperCase());

function generatedClass(name: string): string {
  return fs.readFileSync(path.join(GENERATED, 'wfmirror', 'fb', `${kebab(name)}.ts`), 'utf8');
}

interface Accessor {
  readonly params: string;
  readonly slot: number;
  readonly body: string;
}

/** Every accessor flatc wrote: method name -> the vtable slot it reads and its return expression. */
function accessors(source: string): Map<string, Accessor> {
  const out = new Map<string, Accessor>();
  const re =
    /^(\w+)(?:<[^>]*>)?\(([^)]*)\)[^\n]*\{\n\s*const offset = this\.bb!\.__offset\(this\.bb_pos, (\d+)\);\n\s*return ([^\n]*)$/gm;
  for (const m of source.matchAll(re)) out.set(m[1]!, { params: m[2]!, slot: Number(m[3]), body: m[4]! });
  return out;
}

/** `static addX(builder, x) { builder.addFieldKind(id, x, default); }` -> X -> [kind, id, default]. */
function adders(source: string): Map<string, { kind: string; id: number; defaultText: string }> {
  const out = new Map<string, { kind: string; id: number; defaultText: string }>();
  const re =
    /static add(\w+)\(builder:flatbuffers\.Builder, \w+:[^)]*\) \{\n\s*builder\.addField(\w+)\((\d+), [^,]+, ([^)]*)\);/g;
  for (const m of source.matchAll(re)) out.set(m[1]!, { kind: m[2]!, id: Number(m[3]), defaultText: m[4]! });
  return out;
}

const READ: Record<ScalarTypeName, string> = {
  bool: 'readInt8',
  byte: 'readInt8',
  ubyte: 'readUint8',
  short: 'readInt16',
  ushort: 'readUint16',
  int: 'readInt32',
  uint: 'readUint32',
  long: 'readInt64',
  ulong: 'readUint64',
  float: 'readFloat32',
  double: 'readFloat64',
};
const ADD_KIND: Record<number, string> = { 1: 'Int8', 2: 'Int16', 4: 'Int32', 8: 'Float64' };

/** The union names the descriptors mention, with their members. */
const UNIONS = new Map<string, readonly string[]>();
for (const t of Object.values(TABLES)) {
  for (const f of t.fields) if (f.kind === 'union') UNIONS.set(f.union, f.members);
}

describe.each(Object.values(TABLES))('table $name agrees with flatc', (table) => {
  const source = generatedClass(table.name);
  const read = accessors(source);
  const add = adders(source);

  test('startObject takes the number of field ids', () => {
    expect(source).toContain(`builder.startObject(${table.fieldIds});`);
  });

  test('every accessor flatc wrote is a described field (the parser missed none)', () => {
    const described = new Set<string>();
    for (const f of table.fields) {
      described.add(camel(f.name));
      if (f.kind === 'union') described.add(`${camel(f.name)}Type`);
    }
    for (const name of read.keys()) {
      if (name.endsWith('Length') || name.endsWith('Array')) continue;
      expect(described, `accessor ${name}`).toContain(name);
    }
  });

  test('required fields are the ones flatc checks in end()', () => {
    const checked = [...source.matchAll(/builder\.requiredField\(offset, (\d+)\)/g)].map((m) => Number(m[1]));
    expect(checked.sort()).toEqual(
      table.fields
        .filter((f) => f.required)
        .map((f) => f.slot)
        .sort(),
    );
  });

  test.each(table.fields.map((f) => [f.name, f] as const))(
    'field %s: slot, id, kind and default',
    (_, field: FieldDescriptor) => {
      const name = camel(field.name);
      const accessor = read.get(name);
      expect(accessor, `accessor ${name}()`).toBeDefined();
      expect(accessor!.slot).toBe(field.slot);
      if (field.kind === 'union') {
        expect(read.get(`${name}Type`)!.slot).toBe(field.typeSlot);
        expect(add.get(`${pascal(field.name)}Type`)!.id).toBe((field.typeSlot - 4) / 2);
        expect(accessor!.body).toContain('__union(');
      } else {
        expect(add.get(pascal(field.name))!.id).toBe((field.slot - 4) / 2);
      }
      switch (field.kind) {
        case 'scalar':
        case 'bool':
        case 'enum': {
          const type = field.kind === 'bool' ? 'bool' : field.type;
          expect(accessor!.body).toContain(`this.bb!.${READ[type]}(this.bb_pos + offset)`);
          expect(add.get(pascal(field.name))!.kind).toBe(ADD_KIND[field.size]);
          const fallback = accessor!.body.split(' : ').pop()!.replace(/;$/, '');
          if (field.kind === 'enum') {
            expect(fallback).toBe(
              `${field.enum}.${Object.entries(ENUMS[field.enum]!.values).find(([, v]) => v === field.defaultValue)![0]}`,
            );
          } else {
            expect(fallback === 'true' || fallback === 'false' ? fallback === 'true' : Number(fallback)).toBe(field.defaultValue);
          }
          break;
        }
        case 'string':
          expect(accessor!.body).toContain('this.bb!.__string(this.bb_pos + offset');
          break;
        case 'table':
          expect(accessor!.params).toBe(`obj?:${field.table}`);
          expect(accessor!.body).toContain('__indirect(this.bb_pos + offset)');
          break;
        case 'vector': {
          const e = field.element;
          const size = e.kind === 'string' || e.kind === 'table' ? 4 : e.size;
          // flatc writes `+ index` for 1-byte elements, `+ index * size` otherwise.
          expect(accessor!.body).toContain(size === 1 ? '+ offset) + index)' : `+ index * ${size}`);
          if (e.kind === 'table') expect(accessor!.params).toBe(`index: number, obj?:${e.table}`);
          else if (e.kind === 'string') expect(accessor!.body).toContain('__string(');
          else expect(accessor!.body).toContain(READ[e.kind === 'bool' ? 'bool' : e.type]);
          break;
        }
        default:
      }
    },
  );
});

test('enums have the values flatc generated', () => {
  for (const e of Object.values(ENUMS)) {
    const source = generatedClass(e.name);
    const body = /export enum \w+ \{([^}]*)\}/.exec(source)![1]!;
    const values = Object.fromEntries([...body.matchAll(/(\w+) = (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect(values, e.name).toEqual(e.values);
    expect(e.max).toBe(Math.max(...Object.values(values)));
  }
});

test('unions have the members flatc generated, in order', () => {
  for (const [name, members] of UNIONS) {
    const body = /export enum \w+ \{([^}]*)\}/.exec(generatedClass(name))![1]!;
    const values = [...body.matchAll(/(\w+) = (\d+)/g)].map((m) => [m[1], Number(m[2])]);
    expect(values).toEqual([['NONE', 0], ...members.map((m, i) => [m, i + 1])]);
  }
});

test('root types have the identifiers flatc generated', () => {
  for (const root of Object.values(ROOTS)) {
    expect(generatedClass(root.table)).toContain(`bb.__has_identifier('${root.identifier}')`);
  }
});

test('every generated type file is described (tables, enums, unions), and nothing else is', () => {
  const files = fs.readdirSync(path.join(GENERATED, 'wfmirror', 'fb')).sort();
  const names = [...Object.keys(TABLES), ...Object.keys(ENUMS), ...UNIONS.keys()].map((n) => `${kebab(n)}.ts`).sort();
  expect(files).toEqual(names);
});

test('every generated file carries the generated header', () => {
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  for (const file of walk(GENERATED)) {
    expect(fs.readFileSync(file, 'utf8')).toMatch(
      /^\/\/ Generated by `npm run gen:schemas` .* from schemas\/.*\n\/\/ Do not edit/,
    );
  }
});

/** The parts of scripts/gen-schemas.mjs the tests use. */
interface GenSchemas {
  parseSchemas(dir: string): unknown;
  descriptorSource(schemas: unknown, flatcVersion: string): string;
}
const loadGenerator = async (): Promise<GenSchemas> =>
  (await import(pathToFileURL(path.resolve('scripts/gen-schemas.mjs')).href)) as GenSchemas;

describe('the schema parser', () => {
  test('the committed descriptors are what it makes of schemas/ today', async () => {
    const gen = await loadGenerator();
    const committed = fs.readFileSync(path.join(GENERATED, 'schema-descriptors.ts'), 'utf8');
    const version = /flatc (\S+)\)/.exec(committed)![1]!;
    expect(gen.descriptorSource(gen.parseSchemas('schemas'), version)).toBe(committed);
  });

  function parse(gen: GenSchemas, schema: string): unknown {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wfm-fbs-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.fbs'), `namespace wfmirror.fb;\n${schema}`);
      return gen.parseSchemas(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('understands aliases, defaults, comments and unions', async () => {
    const gen = await loadGenerator();
    const parsed = parse(
      gen,
      `/// doc\nenum E : uint8 { A, B = 1, C } // trailing\ntable T { x: float64 = 2.5; e: E = C; b: bool = true; }\nunion U { T }\ntable R { schema_version: uint16; u: U (required); v: [E]; }\nroot_type R;\nfile_identifier "ABCD";`,
    ) as { tables: { name: string; fields: unknown[] }[]; roots: unknown[] };
    const t = parsed.tables.find((x) => x.name === 'T')!;
    expect(t.fields).toEqual([
      { name: 'x', slot: 4, required: false, kind: 'scalar', type: 'double', size: 8, defaultValue: 2.5 },
      { name: 'e', slot: 6, required: false, kind: 'enum', enum: 'E', type: 'ubyte', size: 1, max: 2, defaultValue: 2 },
      { name: 'b', slot: 8, required: false, kind: 'bool', size: 1, defaultValue: true },
    ]);
    const r = parsed.tables.find((x) => x.name === 'R')!;
    expect(r.fields[1]).toMatchObject({ name: 'u', kind: 'union', typeSlot: 6, slot: 8, members: ['T'], required: true });
    expect(r.fields[2]).toMatchObject({ name: 'v', slot: 10, kind: 'vector', element: { kind: 'enum', max: 2 } });
    expect(parsed.roots).toEqual([{ table: 'R', identifier: 'ABCD', schema: 'a.fbs' }]);
  });

  test.each([
    ['a struct', 'struct S { x: int; }', /'struct' is outside the schema subset/],
    ['an id attribute', 'table T { x: int (id: 3); }', /attribute 'id' is outside the subset/],
    ['a deprecated field', 'table T { x: int (deprecated); }', /attribute 'deprecated' is outside the subset/],
    ['an enum with gaps', 'enum E : ubyte { A = 0, B = 2 }', /values must be 0, 1, 2\.\.\. in order/],
    ['an unknown type', 'table T { x: Nope; }', /unknown type Nope/],
    ['a required scalar', 'table T { x: int (required); }', /a scalar cannot be required/],
    ['a default out of range', 'table T { x: ubyte = 300; }', /does not fit ubyte/],
    ['an enum default that is no member', 'enum E : ubyte { A } table T { e: E = B; }', /not a member of E/],
    ['a root without identifier', 'table T { x: int; } root_type T;', /root_type and file_identifier go together/],
    ['a type declared twice', 'table T { x: int; } table T { y: int; }', /T is declared twice/],
  ])('refuses %s, naming the file and line', async (_, schema, message) => {
    const gen = await loadGenerator();
    expect(() => parse(gen, schema)).toThrow(message);
    expect(() => parse(gen, schema)).toThrow(/^a\.fbs(:\d+)?: /);
  });
});
