// Real X.509 SVIDs for tests, made with openssl in a temp dir at test time: a CA and leaves with
// chosen SANs and validity periods. Returns PEM and the URL-encoded PEM Envoy forwards.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  readonly pem: string;
  /** As Envoy sends it in attributes.source.certificate. */
  readonly urlEncoded: string;
}

export interface LeafOptions {
  /** subjectAltName entries in openssl syntax, e.g. `URI:spiffe://example.org/a`, `DNS:x`. */
  readonly sans: readonly string[];
  readonly start?: Date;
  readonly end?: Date;
  /** Issue a CA certificate (basicConstraints CA:TRUE) instead of a leaf. */
  readonly isCa?: boolean;
}

export interface TestCa {
  readonly dir: string;
  readonly ca: TestCert;
  issue(options: LeafOptions): TestCert;
  cleanup(): void;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function asCert(pem: string): TestCert {
  return { pem, urlEncoded: encodeURIComponent(pem) };
}

/** openssl ca's date format (GeneralizedTime; openssl picks UTCTime where RFC 5280 wants it). */
function opensslDate(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}/, '');
}

const CA_CONFIG = `[ ca ]
default_ca = tollgate_ca
[ tollgate_ca ]
dir = .
database = index.txt
new_certs_dir = issued
serial = serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no
[ anything ]
commonName = optional
`;

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-certs-'));
  writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  openssl(['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/O=tollgate test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-addext', 'subjectAltName=URI:spiffe://example.org'], dir);
  execFileSync('mkdir', ['-p', join(dir, 'issued')]);
  let n = 0;
  return {
    dir,
    ca: asCert(readFileSync(join(dir, 'ca.pem'), 'utf8')),
    issue(options: LeafOptions): TestCert {
      const name = `leaf${++n}`;
      const ext = [
        `basicConstraints=critical,CA:${options.isCa === true ? 'TRUE' : 'FALSE'}`,
        'keyUsage=critical,digitalSignature',
        ...(options.sans.length > 0 ? [`subjectAltName=${options.sans.join(',')}`] : []),
      ];
      writeFileSync(join(dir, `${name}.ext`), `[ v3 ]\n${ext.join('\n')}\n`);
      openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], dir);
      const start = options.start ?? new Date(Date.now() - 3600_000);
      const end = options.end ?? new Date(Date.now() + 24 * 3600_000);
      openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${name}.csr`,
        '-out', `${name}.pem`, '-notext', '-startdate', opensslDate(start), '-enddate', opensslDate(end),
        '-extfile', `${name}.ext`, '-extensions', 'v3'], dir);
      return asCert(readFileSync(join(dir, `${name}.pem`), 'utf8'));
    },
    cleanup(): void {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const SPIFFE_REPORTER = 'spiffe://example.org/ns/billing/sa/reporter';

export interface StandardCerts {
  readonly testCa: TestCa;
  /** One SPIFFE URI SAN: SPIFFE_REPORTER. */
  readonly leaf: TestCert;
  /** Two URI SANs (a SPIFFE ID and an https URI). */
  readonly twoUris: TestCert;
  /** One URI SAN that is not a SPIFFE ID. */
  readonly nonSpiffe: TestCert;
  /** A DNS SAN only. */
  readonly dnsOnly: TestCert;
  /** One SPIFFE URI SAN of another trust domain. */
  readonly otherDomain: TestCert;
  /** A trust-domain ID without a path. */
  readonly noPath: TestCert;
  /** notAfter in the past. */
  readonly expired: TestCert;
  /** notBefore in the future. */
  readonly notYetValid: TestCert;
  readonly cleanup: () => void;
}

/** The usual set of certificates for identity tests (≈ 1 s of openssl). */
export function createStandardCerts(): StandardCerts {
  const testCa = createTestCa();
  const day = 24 * 3600_000;
  return {
    testCa,
    leaf: testCa.issue({ sans: [`URI:${SPIFFE_REPORTER}`] }),
    twoUris: testCa.issue({ sans: [`URI:${SPIFFE_REPORTER}`, 'URI:https://example.org/reporter'] }),
    nonSpiffe: testCa.issue({ sans: ['URI:https://example.org/reporter'] }),
    dnsOnly: testCa.issue({ sans: ['DNS:reporter.example.org'] }),
    otherDomain: testCa.issue({ sans: ['URI:spiffe://evil.example/ns/billing/sa/reporter'] }),
    noPath: testCa.issue({ sans: ['URI:spiffe://example.org'] }),
    expired: testCa.issue({ sans: [`URI:${SPIFFE_REPORTER}`], start: new Date(Date.now() - 10 * day), end: new Date(Date.now() - day) }),
    notYetValid: testCa.issue({ sans: [`URI:${SPIFFE_REPORTER}`], start: new Date(Date.now() + day), end: new Date(Date.now() + 10 * day) }),
    cleanup: () => testCa.cleanup(),
  };
}
