import { describe, expect, it } from 'vitest';
import { completeMultipartBody, deleteObjectsBody, parseError, parseListPage, xmlDecode, xmlText } from '../../src/storage/s3-xml.js';

describe('S3 XML', () => {
  it('reads a ListObjectsV2 page: keys with entities, sizes, prefixes and the continuation token', () => {
    const page = parseListPage(`<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>repo/</Prefix><KeyCount>3</KeyCount>
<IsTruncated>true</IsTruncated><NextContinuationToken>tok&amp;en/+=</NextContinuationToken>
<Contents><Key>repo/a &amp; b&lt;c&gt;.txt</Key><LastModified>2026-11-26T05:06:07.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>12</Size></Contents>
<Contents><Key>repo/&#233;t&#xE9;</Key><Size>0</Size></Contents>
<CommonPrefixes><Prefix>repo/dir/</Prefix></CommonPrefixes></ListBucketResult>`);
    expect(page.contents.map((c) => [c.key, c.size])).toEqual([['repo/a & b<c>.txt', 12], ['repo/été', 0]]);
    expect(page.contents[0]!.lastModified?.getTime()).toBe(Date.UTC(2026, 10, 26, 5, 6, 7));
    expect(page.prefixes).toEqual(['repo/dir/']);
    expect(page.nextToken).toBe('tok&en/+=');
  });

  it('has no token on the last page, and no entries on an empty one', () => {
    expect(parseListPage('<ListBucketResult><IsTruncated>false</IsTruncated><NextContinuationToken>x</NextContinuationToken></ListBucketResult>'))
      .toEqual({ contents: [], prefixes: [], nextToken: undefined });
  });

  it('finds an error document, also inside a 200 answer', () => {
    expect(parseError('<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>'))
      .toEqual({ code: 'NoSuchKey', message: 'The specified key does not exist.' });
    expect(parseError('<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>')).toBeUndefined();
    expect(parseError('<ErrorCode>x</ErrorCode>')).toBeUndefined();
  });

  it('writes request bodies with keys and ETags escaped', () => {
    expect(deleteObjectsBody(['a&b', 'c<d'])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Delete><Quiet>true</Quiet><Object><Key>a&amp;b</Key></Object><Object><Key>c&lt;d</Key></Object></Delete>',
    );
    expect(completeMultipartBody(['"e1"', '"e2"'])).toContain('<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>');
    expect(xmlText('<A><UploadId>id&apos;1</UploadId></A>', 'UploadId')).toBe("id'1");
    expect(xmlDecode('&unknown; &#65;')).toBe('&unknown; A');
  });
});
