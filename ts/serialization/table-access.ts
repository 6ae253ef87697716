/**
 * Small helpers shared by the codecs: where a field sits in a verified buffer (for error offsets
 * and for reading vectors without the generated accessors' typed-array views), and field slots
 * and ids looked up by name in the schema descriptors instead of written as magic numbers.
 */
import type * as flatbuffers from 'flatbuffers';
import { TABLES, type TableName } from '../generated/schema-descriptors.js';

/** What every generated table class has: the buffer it reads and its position in it. */
export interface GeneratedTable {
  bb: flatbuffers.ByteBuffer | null;
  bb_pos: number;
}

/**
 * The vtable slot of `table.field` (of the value, for a union).
 * @throws Error when the schema has no such field (a programming error, found at module load)
 */
export function slotOf(table: TableName, field: string): number {
  const f = TABLES[table].fields.find((d) => d.name === field);
  if (f === undefined) throw new Error(`schema: ${table} has no field ${field}`);
  return f.slot;
}

/** The field id of `table.field`, as the builder's `addField*(id, ...)` calls take it. */
export function fieldIdOf(table: TableName, field: string): number {
  return (slotOf(table, field) - 4) / 2;
}

/**
 * Absolute byte position of the field at `slot` of `table` in its buffer, or the table's own
 * position when the field is absent: a place to name in an error message.
 */
export function fieldPosition(table: GeneratedTable, slot: number): number {
  const o = table.bb!.__offset(table.bb_pos, slot);
  return o === 0 ? table.bb_pos : table.bb_pos + o;
}

/** Start (first element) and length of the vector at `slot`, or undefined when absent. Verified buffers only. */
export function vectorAt(table: GeneratedTable, slot: number): { start: number; length: number } | undefined {
  const bb = table.bb!;
  const o = bb.__offset(table.bb_pos, slot);
  if (o === 0) return undefined;
  return { start: bb.__vector(table.bb_pos + o), length: bb.__vector_len(table.bb_pos + o) };
}
