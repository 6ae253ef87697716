/**
 * The shape of ts/generated/schema-descriptors.ts: the FlatBuffers schemas as data, so that one
 * verifier walks every table instead of a hand-written check per table. Field names are the
 * schema's (snake_case); `slot` is the byte offset of the field's entry in the vtable (4 + 2 * id),
 * exactly the number flatc's accessors pass to `__offset(this.bb_pos, slot)`.
 */

/** A FlatBuffers scalar type, aliases (`int32`, `float64`...) resolved to flatc's canonical names. */
export type ScalarTypeName =
  | 'bool'
  | 'byte'
  | 'ubyte'
  | 'short'
  | 'ushort'
  | 'int'
  | 'uint'
  | 'long'
  | 'ulong'
  | 'float'
  | 'double';

/** What one element of a vector is. */
export type ElementDescriptor<T extends string = string> =
  | { readonly kind: 'scalar'; readonly type: ScalarTypeName; readonly size: number }
  | { readonly kind: 'bool'; readonly size: number }
  /** Values 0..max are valid (enums in our schemas are contiguous from 0; the generator insists). */
  | { readonly kind: 'enum'; readonly enum: string; readonly type: ScalarTypeName; readonly size: number; readonly max: number }
  | { readonly kind: 'string' }
  | { readonly kind: 'table'; readonly table: T };

/** What every field has. */
interface FieldBase {
  /** The schema's name (snake_case). */
  readonly name: string;
  /** Vtable offset of the field (of the union's value, for a union). */
  readonly slot: number;
  /** `(required)` in the schema: the field must be present. */
  readonly required: boolean;
}

/** One field of a table. */
export type FieldDescriptor<T extends string = string> = FieldBase &
  (
    | { readonly kind: 'scalar'; readonly type: ScalarTypeName; readonly size: number; readonly defaultValue: number }
    | { readonly kind: 'bool'; readonly size: number; readonly defaultValue: boolean }
    | {
        readonly kind: 'enum';
        readonly enum: string;
        readonly type: ScalarTypeName;
        readonly size: number;
        readonly max: number;
        readonly defaultValue: number;
      }
    | { readonly kind: 'string' }
    | { readonly kind: 'table'; readonly table: T }
    | { readonly kind: 'vector'; readonly element: ElementDescriptor<T> }
    | {
        readonly kind: 'union';
        readonly union: string;
        /** Vtable offset of the hidden `<name>_type` field (a ubyte: 0 = NONE, k = members[k - 1]). */
        readonly typeSlot: number;
        readonly members: readonly T[];
      }
  );

/** One table. */
export interface TableDescriptor<T extends string = string> {
  readonly name: T;
  /** The .fbs file that declares it. */
  readonly schema: string;
  /** Field ids in use (a union takes two): what flatc passes to `builder.startObject`. */
  readonly fieldIds: number;
  readonly fields: readonly FieldDescriptor<T>[];
}

/** A root type: the table a buffer starts with, and its 4-byte file identifier. */
export interface RootDescriptor<T extends string = string> {
  readonly table: T;
  readonly identifier: string;
  readonly schema: string;
}

/** One enum: its member values and the largest (members are 0..max). */
export interface EnumDescriptor {
  readonly name: string;
  readonly schema: string;
  readonly type: ScalarTypeName;
  readonly values: Readonly<Record<string, number>>;
  readonly max: number;
}
