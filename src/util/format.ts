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
  return firstDecimal !== 0 ? `${(size / unit).toFixed(1)}${name}` : `${Math.floor(size / unit)}${name}`;
}

/** Local time `YYYY-MM-DD HH:MM:SS` from epoch seconds, as `info` prints timestamps. */
export function formatLocalTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
