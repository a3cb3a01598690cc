/**
 * The few S3 XML documents the driver reads and writes. S3 answers are flat and regular (no
 * attributes we need, no CDATA, no nesting of a tag inside itself), so tags are found by name.
 */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function xmlDecode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? whole;
  });
}

export function xmlEncode(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${Object.keys(ENTITIES).find((k) => ENTITIES[k] === c)};`);
}

/** The inner text of every `<tag>…</tag>` (or `<tag/>` as '') in `xml`, in order. */
export function xmlAll(xml: string, tag: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${tag}>)`, 'g');
  for (let m = re.exec(xml); m !== null; m = re.exec(xml)) out.push(m[1] ?? '');
  return out;
}

/** The decoded text of the first `<tag>`, or undefined. */
export function xmlText(xml: string, tag: string): string | undefined {
  const v = xmlAll(xml, tag)[0];
  return v === undefined ? undefined : xmlDecode(v);
}

export interface ListPage {
  contents: Array<{ key: string; size: number; lastModified?: Date }>;
  prefixes: string[];
  nextToken?: string;
}

/** A ListObjectsV2 answer (ListBucketResult). */
export function parseListPage(xml: string): ListPage {
  const contents = xmlAll(xml, 'Contents').map((c) => {
    const modified = xmlText(c, 'LastModified');
    return { key: xmlText(c, 'Key') ?? '', size: Number(xmlText(c, 'Size') ?? 0), lastModified: modified === undefined ? undefined : new Date(modified) };
  });
  const prefixes = xmlAll(xml, 'CommonPrefixes').map((p) => xmlText(p, 'Prefix') ?? '');
  // Only the top-level flag counts; entries never carry an IsTruncated of their own.
  const truncated = xmlText(xml, 'IsTruncated') === 'true';
  return { contents, prefixes, nextToken: truncated ? xmlText(xml, 'NextContinuationToken') : undefined };
}

/** `<Error><Code>…</Code><Message>…</Message></Error>`, as S3 answers failures (also inside a 200 to CompleteMultipartUpload). */
export function parseError(xml: string): { code?: string; message?: string } | undefined {
  const body = xmlAll(xml, 'Error')[0];
  if (body === undefined) return undefined;
  return { code: xmlText(body, 'Code'), message: xmlText(body, 'Message') };
}

export function completeMultipartBody(etags: string[]): string {
  const parts = etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${xmlEncode(e)}</ETag></Part>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`;
}

export function deleteObjectsBody(keys: string[]): string {
  const objects = keys.map((k) => `<Object><Key>${xmlEncode(k)}</Key></Object>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet>${objects}</Delete>`;
}
