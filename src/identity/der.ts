// A minimal, bounds-checked DER walker for the two parts of an X.509 certificate that identity
// needs: the validity period and the URI names of the subjectAltName extension (OID 2.5.29.17).
// It reads structure only; it verifies no signature and trusts nothing (Envoy validated the chain).

export interface CertificateFacts {
  /** Epoch milliseconds. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** uniformResourceIdentifier entries of the subjectAltName extension, in order. */
  readonly uris: readonly string[];
  /** False when the extension appears more than once (RFC 5280 forbids it). */
  readonly sanUnique: boolean;
}

interface Tlv {
  readonly tag: number;
  /** Offset of the contents. */
  readonly start: number;
  /** Offset just past the contents. */
  readonly end: number;
}

class DerError extends Error {}

const SEQUENCE = 0x30;
const OCTET_STRING = 0x04;
const OID = 0x06;
const BOOLEAN = 0x01;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const CONTEXT_0 = 0xa0;
const EXTENSIONS = 0xa3;
const URI_NAME = 0x86;
// 2.5.29.17 encoded: 55 1d 11
const SAN_OID = Buffer.from([0x55, 0x1d, 0x11]);

function readTlv(der: Uint8Array, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new DerError('truncated');
  const tag = der[at] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tag');
  let len = der[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // 0x80 is BER's indefinite length, never valid DER; four length bytes is far beyond any cert.
    if (n === 0 || n > 4 || start + n > limit) throw new DerError('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] as number);
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DerError('length beyond parent');
  return { tag, start, end };
}

function expect(der: Uint8Array, at: number, limit: number, tag: number): Tlv {
  const tlv = readTlv(der, at, limit);
  if (tlv.tag !== tag) throw new DerError(`expected tag ${tag}`);
  return tlv;
}

function digits(der: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = 0; i < count; i++) {
    const c = (der[at + i] as number) - 48;
    if (c < 0 || c > 9) throw new DerError('bad time digit');
    value = value * 10 + c;
  }
  return value;
}

/** UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ, as RFC 5280 §4.1.2.5 requires them. */
function readTime(der: Uint8Array, tlv: Tlv): number {
  const len = tlv.end - tlv.start;
  let at = tlv.start;
  let year: number;
  if (tlv.tag === UTC_TIME && len === 13) {
    const yy = digits(der, at, 2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    at += 2;
  } else if (tlv.tag === GENERALIZED_TIME && len === 15) {
    year = digits(der, at, 4);
    at += 4;
  } else {
    throw new DerError('bad time');
  }
  if (der[tlv.end - 1] !== 0x5a) throw new DerError('time not in UTC');
  const [mo, d, h, mi, s] = [digits(der, at, 2), digits(der, at + 2, 2), digits(der, at + 4, 2), digits(der, at + 6, 2), digits(der, at + 8, 2)];
  const ms = Date.UTC(year, mo - 1, d, h, mi, s);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || !Number.isFinite(ms)) throw new DerError('bad time');
  return ms;
}

function sameBytes(der: Uint8Array, tlv: Tlv, bytes: Uint8Array): boolean {
  if (tlv.end - tlv.start !== bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (der[tlv.start + i] !== bytes[i]) return false;
  return true;
}

/** GeneralNames: collect the [6] IA5String URIs, refusing any byte outside printable ASCII. */
function readUris(der: Uint8Array, value: Tlv, uris: string[]): void {
  const names = expect(der, value.start, value.end, SEQUENCE);
  if (names.end !== value.end) throw new DerError('trailing bytes in SAN');
  for (let at = names.start; at < names.end; ) {
    const name = readTlv(der, at, names.end);
    if (name.tag === URI_NAME) {
      for (let i = name.start; i < name.end; i++) {
        const c = der[i] as number;
        if (c < 0x21 || c > 0x7e) throw new DerError('non-ASCII URI');
      }
      uris.push(Buffer.from(der.buffer, der.byteOffset + name.start, name.end - name.start).toString('latin1'));
    }
    at = name.end;
  }
}

/** Walk Extensions, collecting the SAN URIs; returns how many SAN extensions were seen. */
function readExtensions(der: Uint8Array, wrapper: Tlv, uris: string[]): number {
  const list = expect(der, wrapper.start, wrapper.end, SEQUENCE);
  let sanCount = 0;
  for (let at = list.start; at < list.end; ) {
    const ext = expect(der, at, list.end, SEQUENCE);
    const oid = expect(der, ext.start, ext.end, OID);
    let next = readTlv(der, oid.end, ext.end);
    if (next.tag === BOOLEAN) next = readTlv(der, next.end, ext.end);
    if (next.tag !== OCTET_STRING) throw new DerError('extension value');
    if (sameBytes(der, oid, SAN_OID)) {
      sanCount++;
      readUris(der, next, uris);
    }
    at = ext.end;
  }
  return sanCount;
}

/** Facts of a DER certificate, or undefined when its structure is not what X.509 prescribes. */
export function readCertificateFacts(der: Uint8Array): CertificateFacts | undefined {
  try {
    const cert = expect(der, 0, der.length, SEQUENCE);
    const tbs = expect(der, cert.start, cert.end, SEQUENCE);
    let at = tbs.start;
    const first = readTlv(der, at, tbs.end);
    if (first.tag === CONTEXT_0) at = first.end; // explicit version
    // serialNumber, signature, issuer
    for (let i = 0; i < 3; i++) at = readTlv(der, at, tbs.end).end;
    const validity = expect(der, at, tbs.end, SEQUENCE);
    const nb = readTlv(der, validity.start, validity.end);
    const na = readTlv(der, nb.end, validity.end);
    const notBefore = readTime(der, nb);
    const notAfter = readTime(der, na);
    at = validity.end;
    // subject, subjectPublicKeyInfo
    for (let i = 0; i < 2; i++) at = readTlv(der, at, tbs.end).end;
    const uris: string[] = [];
    let sanCount = 0;
    while (at < tbs.end) {
      const field = readTlv(der, at, tbs.end); // [1] / [2] unique ids, [3] extensions
      if (field.tag === EXTENSIONS) sanCount += readExtensions(der, field, uris);
      at = field.end;
    }
    return { notBefore, notAfter, uris, sanUnique: sanCount <= 1 };
  } catch (err) {
    if (err instanceof DerError) return undefined;
    throw err;
  }
}
