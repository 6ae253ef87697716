/**
 * Removes `array[index]` in place, keeping the order of the rest. Unlike `splice(index, 1)` it
 * makes no array of the removed elements: replay removes a settled activity on every completion.
 */
export function removeAt<T>(array: T[], index: number): void {
  const last = array.length - 1;
  for (let i = index; i < last; i++) array[i] = array[i + 1]!;
  array.length = last;
}
