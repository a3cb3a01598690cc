import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface SelfSignedCert {
  keyFile: string;
  certFile: string;
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI in `dir`. The
 * certificate is its own CA, so it doubles as the `ca-file` clients trust.
 */
export function makeSelfSignedCert(dir: string): SelfSignedCert {
  const keyFile = join(dir, 'server.key');
  const certFile = join(dir, 'server.crt');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-keyout', keyFile, '-out', certFile,
      '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost',
      '-addext', 'basicConstraints=critical,CA:TRUE',
    ],
    { stdio: 'ignore' },
  );
  return { keyFile, certFile };
}
