const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * A duration as people read it in a status message: in the largest unit
 * that states it exactly ("6 hours", "90 minutes", "36 seconds"), never
 * rounded to zero.
 */
export function formatDuration(ms: number): string {
  const plural = (count: number, unit: string) =>
    `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (ms >= HOUR && ms % HOUR === 0) return plural(ms / HOUR, 'hour');
  if (ms >= MINUTE && ms % MINUTE === 0) return plural(ms / MINUTE, 'minute');
  if (ms >= SECOND && ms % SECOND === 0) return plural(ms / SECOND, 'second');
  if (ms >= SECOND) return `${(ms / SECOND).toFixed(1)} seconds`;
  return plural(Math.max(0, Math.round(ms)), 'millisecond');
}
