// Listener addresses: `host:port`, `[v6]:port` or `unix:/path`. Parsing only; no sockets here.

export type ListenAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly text: string }
  | { readonly kind: 'unix'; readonly path: string; readonly text: string };

export function parseAddress(text: string): ListenAddress | { readonly error: string } {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (!path.startsWith('/')) return { error: `"${text}": a unix socket address needs an absolute path (unix:/run/tollgate.sock)` };
    return { kind: 'unix', path, text };
  }
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return { error: `"${text}": expected host:port, [ipv6]:port or unix:/path` };
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':')) return { error: `"${text}": write IPv6 hosts in brackets, e.g. [::1]:9191` };
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) return { error: `"${text}": port must be a number from 0 to 65535` };
  if (host.length === 0) return { error: `"${text}": host is empty` };
  return { kind: 'tcp', host, port: Number(portText), text };
}

/** The form grpc-js and people read: host:port with IPv6 in brackets, or unix:/path. */
export function formatAddress(address: ListenAddress, port?: number): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${host}:${port ?? address.port}`;
}
