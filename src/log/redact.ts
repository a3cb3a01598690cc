/** Replace every occurrence of a secret value with `<redacted>`: a last line of defence for messages. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length > 0 && out.includes(s)) out = out.split(s).join('<redacted>');
  }
  return out;
}
