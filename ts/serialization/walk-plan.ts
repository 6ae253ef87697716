/**
 * The schema descriptors (ts/generated/schema-descriptors.ts) flattened once, at load, into what
 * the verifier's walk (buffer-walker.ts) reads per field: small integer kinds, sizes, alignments,
 * enum ranges, and direct references to the plans of nested tables instead of names to look up.
 */
import { TABLES } from '../generated/schema-descriptors.js';
import type { ElementDescriptor, FieldDescriptor, ScalarTypeName } from './schema-descriptor.js';

// Field kinds as small integers for the walk's switch.
export const K_SCALAR = 0;
export const K_ENUM = 1;
export const K_STRING = 2;
export const K_TABLE = 3;
export const K_VECTOR = 4;
export const K_UNION = 5;

const SIGNED: ReadonlySet<ScalarTypeName> = new Set(['byte', 'short', 'int', 'long']);

/** A table's descriptor, flattened for the walk. */
export interface PlanTable {
  readonly name: string;
  readonly fields: PlanField[];
}

/** A field's descriptor, flattened: every field has every property, so the walk's objects share one shape. */
export interface PlanField {
  readonly label: string;
  readonly slot: number;
  readonly code: number;
  readonly required: boolean;
  /** Bytes the field occupies inline in the table (4 for an offset). */
  readonly size: number;
  /** Alignment of the inline bytes, relative to the buffer start. */
  readonly align: number;
  /** Enum: largest valid value; its type's signedness. */
  readonly max: number;
  readonly signed: boolean;
  readonly enumName: string;
  /** Table: its plan; union: unused. */
  readonly table: PlanTable | undefined;
  /** Vector: the element's kind (K_*), size, enum range, table. */
  readonly elementCode: number;
  readonly elementSize: number;
  readonly elementMax: number;
  readonly elementSigned: boolean;
  readonly elementTable: PlanTable | undefined;
  /** Union: vtable offset of the type field, and the member tables (type k is members[k - 1]). */
  readonly typeSlot: number;
  readonly members: readonly PlanTable[];
}

const PLANS = new Map<string, PlanTable>();
for (const t of Object.values(TABLES)) PLANS.set(t.name, { name: t.name, fields: [] });
for (const t of Object.values(TABLES)) {
  const plan = PLANS.get(t.name)!;
  for (const f of t.fields) plan.fields.push(planField(t.name, f));
}

export function planTable(name: string): PlanTable {
  const plan = PLANS.get(name);
  if (plan === undefined) throw new Error(`schema descriptors name an unknown table ${name}`);
  return plan;
}

function planField(tableName: string, f: FieldDescriptor): PlanField {
  const base = {
    label: `${tableName}.${f.name}`,
    slot: f.slot,
    required: f.required,
    max: 0,
    signed: false,
    enumName: '',
    table: undefined,
    elementCode: K_SCALAR,
    elementSize: 0,
    elementMax: 0,
    elementSigned: false,
    elementTable: undefined,
    typeSlot: 0,
    members: [],
  };
  switch (f.kind) {
    case 'scalar':
    case 'bool':
      return { ...base, code: K_SCALAR, size: f.size, align: Math.min(f.size, 8) };
    case 'enum':
      return { ...base, code: K_ENUM, size: f.size, align: f.size, max: f.max, signed: SIGNED.has(f.type), enumName: f.enum };
    case 'string':
      return { ...base, code: K_STRING, size: 4, align: 4 };
    case 'table':
      return { ...base, code: K_TABLE, size: 4, align: 4, table: planTable(f.table) };
    case 'vector':
      return { ...base, code: K_VECTOR, size: 4, align: 4, ...planElement(f.element) };
    case 'union':
      return { ...base, code: K_UNION, size: 4, align: 4, typeSlot: f.typeSlot, members: f.members.map(planTable) };
  }
}

function planElement(e: ElementDescriptor): Partial<PlanField> {
  switch (e.kind) {
    case 'scalar':
    case 'bool':
      return { elementCode: K_SCALAR, elementSize: e.size };
    case 'enum':
      return { elementCode: K_ENUM, elementSize: e.size, elementMax: e.max, elementSigned: SIGNED.has(e.type), enumName: e.enum };
    case 'string':
      return { elementCode: K_STRING, elementSize: 4 };
    case 'table':
      return { elementCode: K_TABLE, elementSize: 4, elementTable: planTable(e.table) };
  }
}
