// The one syntax for names in policy files (services, rules, issuers): short, printable, and
// safe as a metric label or header value. Shared by the schemas of every file kind.

import { z } from 'zod';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function nameSchema(what: string) {
  return z.string().regex(NAME_PATTERN, {
    error: `${what} must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit`,
  });
}
