// The requests a load generator thread sends: fixed frames cycled in order, or a template whose
// bearer token is replaced by a fresh ES256 token per request (all signed before the run starts,
// so signing never slows the client during the measurement). Each comes with its expectation.

import { TokenSigner } from '../fixtures/keys.js';
import type { Expectation, FrameSource } from './protocol.js';

export interface NextFrame {
  readonly frame: Uint8Array;
  readonly expect: Expectation;
}

export interface Frames {
  /** The next request, or undefined when a bounded source is used up. */
  next(): NextFrame | undefined;
}

function fixedFrames(frames: readonly Uint8Array[], expect: readonly Expectation[]): Frames {
  const items: NextFrame[] = frames.map((frame, i) => ({ frame, expect: expect[i] ?? { verdict: 'allow', reason: 'allow' } }));
  let i = 0;
  return {
    next(): NextFrame | undefined {
      const item = items[i] as NextFrame;
      i = i + 1 === items.length ? 0 : i + 1;
      return item;
    },
  };
}

function coldFrames(source: Extract<FrameSource, { kind: 'cold' }>): Frames {
  const signer = new TokenSigner(source.privatePem);
  const iat = Math.floor(Date.now() / 1000);
  const first = signer.sign({ subject: source.subject, serial: source.serialBase, scopes: source.scopes, iat });
  const width = first.length;
  const tokens = Buffer.allocUnsafe(width * source.count);
  for (let n = 0; n < source.count; n++) {
    const token = n === 0 ? first : signer.sign({ subject: source.subject, serial: source.serialBase + n, scopes: source.scopes, iat });
    if (token.length !== width) throw new Error('bench: token length changed; the template cannot take it');
    tokens.write(token, n * width, 'latin1');
  }
  const template = Buffer.from(source.template);
  let n = 0;
  return {
    next(): NextFrame | undefined {
      if (n === source.count) return undefined;
      const frame = Buffer.allocUnsafe(template.length);
      template.copy(frame);
      tokens.copy(frame, source.tokenOffset, n * width, (n + 1) * width);
      n++;
      return { frame, expect: source.expect };
    },
  };
}

export function makeFrames(source: FrameSource): Frames {
  return source.kind === 'fixed' ? fixedFrames(source.frames, source.expect) : coldFrames(source);
}
