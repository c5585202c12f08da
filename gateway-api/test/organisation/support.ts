/** Throw-away organisation CAs and client identities made by openssl, for tests without Fabric. */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KEY_FILES } from '../../src/organisation/identity';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** An organisation CA and one client certificate it issued, as files in `dir/<name>`. */
export function makeOrg(dir: string, name: string): { ca: X509Certificate; keyDir: string } {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], d);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      `/O=${name}/CN=ca.${name}`,
      '-days',
      '2',
      '-out',
      'ca.pem',
    ],
    d,
  );
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'user.ec'], d);
  openssl(['pkcs8', '-topk8', '-nocrypt', '-in', 'user.ec', '-out', KEY_FILES.fabricKey], d);
  openssl(['req', '-new', '-key', 'user.ec', '-subj', `/O=${name}/CN=User1`, '-out', 'user.csr'], d);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'user.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      KEY_FILES.fabricCertificate,
    ],
    d,
  );
  const keyDir = path.join(d, 'keys');
  mkdirSync(keyDir);
  copyFileSync(path.join(d, KEY_FILES.fabricKey), path.join(keyDir, KEY_FILES.fabricKey));
  copyFileSync(path.join(d, KEY_FILES.fabricCertificate), path.join(keyDir, KEY_FILES.fabricCertificate));
  writeFileSync(path.join(keyDir, KEY_FILES.eip712Key), `0x${'11'.repeat(32)}\n`);
  return { ca: new X509Certificate(readFileSync(path.join(d, 'ca.pem'))), keyDir };
}
