import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES } from '../../ts/compare/backend.js';
import { InvalidHardwareProfileError, UnsupportedSchemaError } from '../../ts/hardware/errors.js';
import { compileSchemaSubset } from '../../ts/hardware/json-schema-subset.js';
import { parseProfile, readProfileSchema, validateProfile } from '../../ts/hardware/validate-profile.js';

/** A valid profile; each test breaks one thing in a copy. */
const good = {
  name: 'test-box',
  description: 'a profile for tests',
  match: { wasmSimd: true, minCores: 4 },
  priority: 5,
  backendOrder: ['webgpu', 'wasm-simd', 'js'],
  crossoverRows: 1000,
  precision: 'df64',
  workgroupSize: 64,
  minRowsPerWorker: 100,
};

function withChange(change: Record<string, unknown>): unknown {
  return { ...structuredClone(good), ...change };
}

describe('validateProfile (driven by schemas/hardware-profile.schema.json)', () => {
  it('accepts a valid profile, with and without the optional parts', () => {
    expect(validateProfile(good)).toEqual([]);
    const full = withChange({
      $schema: '../schemas/hardware-profile.schema.json',
      workers: 8,
      measured: {
        date: '2025-01-01T00:00:00Z',
        machine: 'test',
        fieldCount: 32,
        timings: [{ backend: 'webgpu', rows: 1000, medianMs: 0.5, samples: 10 }],
      },
    });
    expect(validateProfile(full)).toEqual([]);
  });

  it('reports a missing required property at its own path', () => {
    const { crossoverRows: _dropped, ...rest } = good;
    expect(validateProfile(rest)).toEqual([{ path: '/crossoverRows', message: 'is required' }]);
    const measuredWithoutDate = withChange({ measured: { machine: 'm', timings: [] } });
    expect(validateProfile(measuredWithoutDate)).toEqual([{ path: '/measured/date', message: 'is required' }]);
  });

  it('reports a wrong type with the expected and the actual type', () => {
    expect(validateProfile(withChange({ priority: '5' }))).toEqual([
      { path: '/priority', message: 'must be integer, got string "5"' },
    ]);
    expect(validateProfile(withChange({ workgroupSize: 64.5 }))).toEqual([
      { path: '/workgroupSize', message: 'must be integer, got number 64.5' },
    ]);
    expect(validateProfile(withChange({ match: { softwareGpu: 'yes' } }))).toEqual([
      { path: '/match/softwareGpu', message: 'must be boolean, got string "yes"' },
    ]);
    expect(validateProfile(withChange({ backendOrder: 'js' }))[0]).toEqual({
      path: '/backendOrder',
      message: 'must be array, got string "js"',
    });
    expect(validateProfile([1, 2])).toEqual([{ path: '', message: 'must be object, got array' }]);
  });

  it('reports an unknown property, nested ones included', () => {
    const problems = validateProfile(withChange({ match: { gpuVndor: 'nvidia' }, colour: 'red' }));
    expect(problems.map((p) => p.path).sort()).toEqual(['/colour', '/match/gpuVndor']);
    expect(problems.find((p) => p.path === '/match/gpuVndor')?.message).toMatch(/^is not allowed here \(known: gpuVendor, /);
  });

  it('reports a value outside an enum, inside arrays and through $ref', () => {
    expect(validateProfile(withChange({ precision: 'f16' }))).toEqual([
      { path: '/precision', message: 'must be one of "df64", "f32"; got "f16"' },
    ]);
    const [problem] = validateProfile(withChange({ backendOrder: ['cuda', 'js'] }));
    expect(problem?.path).toBe('/backendOrder/0');
    expect(problem?.message).toContain('got "cuda"');
    const timing = { backend: 'tpu', rows: 1, medianMs: 1 };
    expect(validateProfile(withChange({ measured: { date: 'd', machine: 'm', timings: [timing] } }))[0]?.path).toBe(
      '/measured/timings/0/backend',
    );
  });

  it('reports values below their minimum, lengths and item counts', () => {
    expect(validateProfile(withChange({ crossoverRows: -1 }))).toEqual([
      { path: '/crossoverRows', message: 'must be >= 0, got -1' },
    ]);
    expect(validateProfile(withChange({ match: { minCores: 0 } }))).toEqual([
      { path: '/match/minCores', message: 'must be >= 1, got 0' },
    ]);
    expect(validateProfile(withChange({ backendOrder: [] }))).toEqual([
      { path: '/backendOrder', message: 'must have at least 1 item(s), got 0' },
    ]);
    expect(validateProfile(withChange({ name: '' }))).toEqual([
      { path: '/name', message: 'must be at least 1 character(s) long' },
    ]);
  });

  it('requires js last and no backend twice', () => {
    expect(validateProfile(withChange({ backendOrder: ['js', 'webgpu'] }))).toEqual([
      { path: '/backendOrder/1', message: 'must be "js" (the last backend is the fallback that always works), got "webgpu"' },
    ]);
    expect(validateProfile(withChange({ backendOrder: ['js', 'wasm-simd', 'js'] }))).toEqual([
      { path: '/backendOrder/2', message: 'repeats item 0 ("js")' },
    ]);
  });

  it('returns every problem at once, not just the first', () => {
    const problems = validateProfile({ name: 7, match: [], priority: -1 });
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['/name', '/match', '/priority', '/description', '/backendOrder', '/precision']),
    );
    expect(problems.length).toBeGreaterThanOrEqual(9);
  });

  it('parseProfile throws a typed error naming the file and listing the problems', () => {
    let error: unknown;
    try {
      parseProfile(withChange({ crossoverRows: -1, precision: 'f16' }), 'boxes/test-box.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidHardwareProfileError);
    const invalid = error as InvalidHardwareProfileError;
    expect(invalid.code).toBe('INVALID_HARDWARE_PROFILE');
    expect(invalid.file).toBe('boxes/test-box.json');
    expect(invalid.problems.map((p) => p.path)).toEqual(['/crossoverRows', '/precision']);
    expect(invalid.message).toContain('boxes/test-box.json');
    expect(invalid.message).toContain('/crossoverRows: must be >= 0, got -1');
    expect(parseProfile(good, 'x.json')).toBe(good);
  });
});

describe('the schema file and its interpreter', () => {
  it('lists exactly the backends of BACKEND_NAMES', () => {
    const schema = readProfileSchema() as { $defs: { backendName: { enum: string[] } } };
    expect(schema.$defs.backendName.enum).toEqual([...BACKEND_NAMES]);
  });

  it('refuses a schema keyword it does not implement, so nothing in the schema goes unenforced', () => {
    expect(() => compileSchemaSubset({ type: 'object', properties: { name: { type: 'string', pattern: '^[a-z]+$' } } })).toThrow(
      UnsupportedSchemaError,
    );
    expect(() => compileSchemaSubset({ properties: { name: { type: 'string', pattern: 'x' } } })).toThrow(
      /\/properties\/name\/pattern: keyword "pattern" is not implemented/,
    );
    expect(() => compileSchemaSubset({ items: { $ref: '#/$defs/missing' } })).toThrow(/cannot resolve/);
    expect(() => compileSchemaSubset({ type: 'float' })).toThrow(/unknown type/);
  });

  it('compiles the real schema (it uses only implemented keywords)', () => {
    expect(() => compileSchemaSubset(readProfileSchema())).not.toThrow();
  });

  it('implements const and escapes JSON pointer tokens', () => {
    const check = compileSchemaSubset({
      type: 'object',
      additionalProperties: false,
      properties: { 'a/b': { const: 1 }, 'c~d': { type: ['string', 'null'] } },
    });
    expect(check({ 'a/b': 1, 'c~d': null })).toEqual([]);
    expect(check({ 'a/b': 2, 'c~d': 3 })).toEqual([
      { path: '/a~1b', message: 'must be 1, got 2' },
      { path: '/c~0d', message: 'must be string or null, got integer 3' },
    ]);
  });
});
