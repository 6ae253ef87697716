/**
 * The verifier's walk: checks one table and everything it points to against the schema
 * descriptors (ts/generated/schema-descriptors.ts), so that the generated accessors, which trust
 * every offset they read, can then run over the bytes without reading out of bounds, looping, or
 * returning a value the schema does not allow. The rules follow flatbuffers' C++ Verifier, plus
 * what the JS runtime needs on top (it reads vtable entries and offsets as *signed* numbers, so
 * values past 0x7fff / 0x7fffffff are refused rather than misread) and UTF-8 validity.
 *
 * Offsets to tables, strings and vectors only point forward, so no chain of them can loop; but a
 * hostile buffer can point many offsets at the same object, so that a few kilobytes expand into
 * gigabytes of work for the verifier and the decoder after it. Hence the limits: nesting depth,
 * tables visited, and the bytes of all objects visited counted with repeats.
 */
import type { TableName } from '../generated/schema-descriptors.js';
import { CorruptBufferError } from './errors.js';
import { isUtf8 } from './utf8.js';
import { K_ENUM, K_STRING, K_TABLE, K_UNION, K_VECTOR, type PlanField, type PlanTable, planTable } from './walk-plan.js';

/** The limits of one walk (see the module comment). */
export interface WalkLimits {
  readonly maxDepth: number;
  readonly maxTables: number;
  readonly maxVisitedBytes: number;
}

/** Where the vtable of the table last opened by {@link BufferWalker.open} is, and its sizes. */
interface TableHeader {
  vtable: number;
  vtableSize: number;
  objectSize: number;
}

const EMPTY = new Uint8Array(0);

/**
 * One walk over one buffer. Not reentrant (nothing in a walk calls out), so one instance is
 * reused; {@link BufferWalker.done} drops the reference to the bytes.
 */
export class BufferWalker {
  #b: Uint8Array = EMPTY;
  #length = 0;
  #limits: WalkLimits = { maxDepth: 0, maxTables: 0, maxVisitedBytes: 0 };
  #tables = 0;
  #visited = 0;
  readonly header: TableHeader = { vtable: 0, vtableSize: 0, objectSize: 0 };

  start(bytes: Uint8Array, limits: WalkLimits): void {
    this.#b = bytes;
    this.#length = bytes.length;
    this.#limits = limits;
    this.#tables = 0;
    this.#visited = 0;
  }

  done(): void {
    this.#b = EMPTY;
  }

  /** Checks the table of type `name` at `pos` and everything under it; `depth` counts from 1 at the root. */
  table(pos: number, name: TableName, depth: number): void {
    this.#table(pos, planTable(name), depth);
  }

  /**
   * Checks the table header at `pos` (alignment, vtable bounds and sizes) and leaves the vtable's
   * position and sizes in {@link header}.
   */
  open(pos: number, name: string): TableHeader {
    const b = this.#b;
    const h = this.header;
    if (pos % 4 !== 0) this.#fail(`${name} table is not 4-byte aligned`, pos);
    if (pos + 4 > this.#length) this.#fail(`${name} table starts past the end of the buffer (${this.#length} bytes)`, pos);
    const vtable = pos - i32(b, pos);
    if (vtable < 0 || vtable + 4 > this.#length) this.#fail(`${name} table's vtable (at ${vtable}) is outside the buffer`, pos);
    if (vtable % 2 !== 0) this.#fail(`${name} table's vtable (at ${vtable}) is not 2-byte aligned`, pos);
    const vtableSize = u16(b, vtable);
    const objectSize = u16(b, vtable + 2);
    // The JS runtime reads vtable entries as int16: anything past 0x7fff would read as negative.
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtableSize > 0x7fff) {
      this.#fail(`${name} table's vtable size ${vtableSize} is not an even number in 4..32766`, vtable);
    }
    if (vtable + vtableSize > this.#length)
      this.#fail(`${name} table's vtable (${vtableSize} bytes) runs past the end of the buffer`, vtable);
    if (objectSize < 4 || objectSize > 0x7fff) this.#fail(`${name} table's size ${objectSize} is not in 4..32767`, vtable + 2);
    if (pos + objectSize > this.#length) this.#fail(`${name} table (${objectSize} bytes) runs past the end of the buffer`, pos);
    h.vtable = vtable;
    h.vtableSize = vtableSize;
    h.objectSize = objectSize;
    return h;
  }

  /**
   * The offset of a field within the table last {@link open}ed (0 when absent), after checking
   * that its `size` bytes lie inside the table.
   */
  fieldOffset(pos: number, slot: number, size: number, label: string): number {
    const h = this.header;
    return this.#fieldOffset(pos, h.vtable, h.vtableSize, h.objectSize, slot, size, label);
  }

  #fieldOffset(
    pos: number,
    vtable: number,
    vtableSize: number,
    objectSize: number,
    slot: number,
    size: number,
    label: string,
  ): number {
    const fo = slot < vtableSize ? u16(this.#b, vtable + slot) : 0;
    if (fo !== 0 && (fo < 4 || fo + size > objectSize)) {
      this.#fail(`${label}: field at table offset ${fo} (${size} bytes) lies outside the table (${objectSize} bytes)`, pos);
    }
    return fo;
  }

  #table(pos: number, t: PlanTable, depth: number): void {
    const limits = this.#limits;
    if (depth > limits.maxDepth) this.#fail(`${t.name} table is nested deeper than ${limits.maxDepth} tables`, pos);
    if (++this.#tables > limits.maxTables) this.#fail(`more than ${limits.maxTables} tables`, pos);
    const { vtable, vtableSize, objectSize } = this.open(pos, t.name);
    this.#charge(objectSize, pos);
    const fields = t.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.code === K_UNION) {
        this.#union(pos, vtable, vtableSize, objectSize, f, depth);
        continue;
      }
      const fo = this.#fieldOffset(pos, vtable, vtableSize, objectSize, f.slot, f.size, f.label);
      if (fo === 0) {
        if (f.required) this.#fail(`${f.label} is required but missing`, pos);
        continue;
      }
      const p = pos + fo;
      if (p % f.align !== 0) this.#fail(`${f.label} is not ${f.align}-byte aligned`, p);
      switch (f.code) {
        case K_ENUM:
          this.#enum(p, f.size, f.signed, f.max, f.enumName, f.label);
          break;
        case K_STRING:
          this.#string(this.#target(p, f.label), f.label);
          break;
        case K_TABLE:
          this.#table(this.#target(p, f.label), f.table!, depth + 1);
          break;
        case K_VECTOR:
          this.#vector(this.#target(p, f.label), f, depth);
          break;
        default: // K_SCALAR: in bounds and aligned is all there is to check
      }
    }
  }

  #union(pos: number, vtable: number, vtableSize: number, objectSize: number, f: PlanField, depth: number): void {
    const typeFo = this.#fieldOffset(pos, vtable, vtableSize, objectSize, f.typeSlot, 1, `${f.label}_type`);
    const type = typeFo === 0 ? 0 : this.#b[pos + typeFo]!;
    const valueFo = this.#fieldOffset(pos, vtable, vtableSize, objectSize, f.slot, 4, f.label);
    if (type === 0) {
      if (valueFo !== 0) this.#fail(`${f.label}: the union's type is NONE but a value is present`, pos + typeFo);
      if (f.required) this.#fail(`${f.label} is required but missing`, pos);
      return;
    }
    if (type > f.members.length) {
      this.#fail(`${f.label}_type: ${type} is not a member of the union (1..${f.members.length})`, pos + typeFo);
    }
    if (valueFo === 0) this.#fail(`${f.label}: the union's type is ${f.members[type - 1]!.name} but the value is missing`, pos);
    const p = pos + valueFo;
    if (p % 4 !== 0) this.#fail(`${f.label} is not 4-byte aligned`, p);
    this.#table(this.#target(p, f.label), f.members[type - 1]!, depth + 1);
  }

  #vector(v: number, f: PlanField, depth: number): void {
    const n = i32(this.#b, v) >>> 0;
    const size = f.elementSize;
    const data = v + 4;
    if (n > (this.#length - data) / size) {
      this.#fail(
        `${f.label}: vector of ${n} elements of ${size} bytes runs past the end of the buffer (${this.#length} bytes)`,
        v,
      );
    }
    // Decoders copy [double] vectors into Float64Arrays; the schema's alignment is what a
    // correct writer produces, and a reader may rely on it relative to the buffer start.
    if (size > 1 && data % Math.min(size, 8) !== 0)
      this.#fail(`${f.label}: vector data is not ${Math.min(size, 8)}-byte aligned`, data);
    this.#charge(4 + n * size, v);
    switch (f.elementCode) {
      case K_ENUM:
        for (let i = 0; i < n; i++)
          this.#enum(data + i * size, size, f.elementSigned, f.elementMax, f.enumName, `${f.label}[${i}]`);
        break;
      case K_STRING:
        for (let i = 0; i < n; i++) this.#string(this.#target(data + 4 * i, f.label), `${f.label}[${i}]`);
        break;
      case K_TABLE:
        for (let i = 0; i < n; i++) this.#table(this.#target(data + 4 * i, f.label), f.elementTable!, depth + 1);
        break;
      default: // K_SCALAR
    }
  }

  #string(s: number, label: string): void {
    const b = this.#b;
    const n = i32(b, s) >>> 0;
    const start = s + 4;
    // Length, bytes and the NUL after them must all fit.
    if (n > this.#length - start - 1)
      this.#fail(`${label}: string of ${n} bytes runs past the end of the buffer (${this.#length} bytes)`, s);
    this.#charge(n + 5, s);
    if (b[start + n] !== 0) this.#fail(`${label}: string has no NUL terminator`, start + n);
    if (!isUtf8(b, start, start + n)) this.#fail(`${label}: string is not valid UTF-8`, start);
  }

  #enum(p: number, size: number, signed: boolean, max: number, enumName: string, label: string): void {
    const b = this.#b;
    let v: number;
    if (size === 1) v = signed ? (b[p]! << 24) >> 24 : b[p]!;
    else if (size === 2) v = signed ? (u16(b, p) << 16) >> 16 : u16(b, p);
    else v = signed ? i32(b, p) : i32(b, p) >>> 0;
    if (v < 0 || v > max) this.#fail(`${label}: ${v} is not a ${enumName} (0..${max})`, p);
  }

  /** Follows the uoffset at `p`: the target must be forward, 4-byte aligned and leave room for its 4-byte header. */
  #target(p: number, label: string): number {
    const o = i32(this.#b, p) >>> 0;
    if (o === 0) this.#fail(`${label}: offset 0 points at itself`, p);
    const t = p + o;
    if (t + 4 > this.#length) this.#fail(`${label}: offset ${o} points past the end of the buffer (${this.#length} bytes)`, p);
    if (t % 4 !== 0) this.#fail(`${label}: offset ${o} points at ${t}, which is not 4-byte aligned`, p);
    return t;
  }

  #charge(bytes: number, at: number): void {
    this.#visited += bytes;
    if (this.#visited > this.#limits.maxVisitedBytes) {
      this.#fail(
        `the objects reached add up to more than ${this.#limits.maxVisitedBytes} bytes (offsets share objects too often)`,
        at,
      );
    }
  }

  #fail(problem: string, offset: number): never {
    throw new CorruptBufferError(problem, offset);
  }
}

function u16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

function i32(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
}
