/**
 * pgBackRest's size format: bytes below 1 KiB (`512B`), otherwise KB/MB/GB in powers of 1024. One
 * decimal (rounded) when the truncated first decimal is not zero (`22.7MB`, even `4.0MB`), else the
 * integer part (`2MB`).
 */
export function formatSize(size: number): string {
  if (size < 1024) return `${size}B`;
  const units: [number, string][] = [
    [1024 ** 3, 'GB'],
    [1024 ** 2, 'MB'],
    [1024, 'KB'],
  ];
  const [unit, name] = units.find(([u]) => size >= u) as [number, string];
  const firstDecimal = Math.floor(((size % unit) * 10) / unit);
  return firstDecimal !== 0 ? `${oneDecimal(size, unit)}${name}` : `${Math.floor(size / unit)}${name}`;
}

/** size/unit as C's `%.1f` prints it: exact ties round to even (77056 B is 75.2KB, not 75.3KB). */
function oneDecimal(size: number, unit: number): string {
  let tenths = Math.floor((size * 10) / unit);
  const rest = size * 10 - tenths * unit;
  if (rest * 2 > unit || (rest * 2 === unit && tenths % 2 === 1)) tenths++;
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
}

/** Local time `YYYY-MM-DD HH:MM:SS` from epoch seconds, as `info` prints timestamps. */
export function formatLocalTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
