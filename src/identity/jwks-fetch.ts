// Reading a key set document: an http(s) GET with a hard timeout (AbortController, covering the
// body too) and a size limit, or a file read with the same limit. Throws on any failure; the
// caller (jwks.ts) keeps its last good key set and counts the error.

import { readFile, stat } from 'node:fs/promises';
import { MAX_JWKS_BYTES } from './jwks-document.js';

export async function fetchKeySetText(url: string, timeoutMs: number, maxBytes: number = MAX_JWKS_BYTES): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  try {
    const response = await fetch(url, {
      signal: controller.signal,
      headers: { accept: 'application/jwk-set+json, application/json' },
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`HTTP status ${response.status}`);
    }
    return await readLimited(response, maxBytes);
  } finally {
    clearTimeout(timer);
  }
}

async function readLimited(response: Response, maxBytes: number): Promise<string> {
  const body = response.body;
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`key set larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface FileRead {
  readonly text: string;
  /** Changes when the file is replaced or rewritten (mtime, size, inode). */
  readonly stamp: string;
}

export async function fileStamp(path: string): Promise<string> {
  const s = await stat(path);
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
}

export async function readKeySetFile(path: string, maxBytes: number = MAX_JWKS_BYTES): Promise<FileRead> {
  const stamp = await fileStamp(path);
  const buffer = await readFile(path);
  if (buffer.byteLength > maxBytes) throw new Error(`key set larger than ${maxBytes} bytes`);
  return { text: buffer.toString('utf8'), stamp };
}
