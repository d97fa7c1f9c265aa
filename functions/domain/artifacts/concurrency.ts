/**
 * `fn` over `items` with at most `limit` calls in flight, results in the
 * order of `items`. Every call is awaited before the first failure is
 * rethrown, so nothing keeps running behind the caller's back (a cleanup
 * after a failed copy must not race a copy still in flight).
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) {
      if (failures.length > 0) return;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker)
  );
  if (failures.length > 0) throw failures[0];
  return results;
}
