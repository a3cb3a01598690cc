/**
 * Backup annotations (`--annotation=key=value`, manifest `[metadata] annotation`, backup.info
 * `backup-annotation`): `current` with each change applied, where an empty value removes its key, as
 * pgBackRest 2.45 does for both backup (nothing to remove there: the key is left out) and annotate.
 * Undefined when no key is left, so the entry is left out rather than written as `{}`. Key order does
 * not matter: the JSON writer sorts keys.
 */
export function applyAnnotations(
  current: Readonly<Record<string, string>> | undefined,
  changes: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  const merged: Record<string, string> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === '') delete merged[key];
    else merged[key] = value;
  }
  return Object.keys(merged).length > 0 ? merged : undefined;
}
