// Reads docker-compose.yml for the deploy tests: services, their mounts, and where a path seen
// inside one container really lives (a repo file, or a file some init step writes into a named
// volume). Parsing only; it runs nothing.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface Mount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
  readonly kind: 'bind' | 'volume';
}

export interface Service {
  readonly image?: string;
  readonly build?: unknown;
  readonly user?: string;
  readonly entrypoint?: readonly string[];
  readonly command?: readonly string[];
  readonly environment?: Readonly<Record<string, string>>;
  readonly volumes?: readonly string[];
  readonly networks?: readonly string[];
  readonly network_mode?: string;
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>;
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly ports?: readonly string[];
}

export interface Compose {
  readonly services: Readonly<Record<string, Service>>;
  readonly volumes: Readonly<Record<string, unknown>>;
  readonly networks: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

export function readYaml<T = unknown>(relative: string): T {
  return parse(readFileSync(path.join(REPO, relative), 'utf8')) as T;
}

export function loadCompose(): Compose {
  return readYaml<Compose>('docker-compose.yml');
}

export function service(compose: Compose, name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** Short-syntax volume entries: `source:target[:ro]`. */
export function mounts(svc: Service): Mount[] {
  return (svc.volumes ?? []).map((entry) => {
    const [source = '', target = '', mode] = entry.split(':');
    const kind = source.startsWith('.') || source.startsWith('/') ? 'bind' : 'volume';
    return { source, target, readOnly: mode === 'ro', kind };
  });
}

export type Located =
  | { readonly kind: 'bind'; readonly hostPath: string }
  | { readonly kind: 'volume'; readonly volume: string; readonly rest: string };

/** Where `containerPath` in service `name` comes from, by the longest mount target above it. */
export function locate(compose: Compose, name: string, containerPath: string): Located | undefined {
  const candidates = mounts(service(compose, name))
    .filter((m) => containerPath === m.target || containerPath.startsWith(`${m.target}/`))
    .sort((a, b) => b.target.length - a.target.length);
  const mount = candidates[0];
  if (!mount) return undefined;
  const rest = containerPath.slice(mount.target.length);
  if (mount.kind === 'bind') return { kind: 'bind', hostPath: path.join(REPO, mount.source, rest) };
  return { kind: 'volume', volume: mount.source, rest };
}

/** The services that mount `volume` writable: the ones that can have produced its files. */
export function writers(compose: Compose, volume: string): { service: string; target: string }[] {
  return Object.entries(compose.services).flatMap(([name, svc]) =>
    mounts(svc)
      .filter((m) => m.kind === 'volume' && m.source === volume && !m.readOnly)
      .map((m) => ({ service: name, target: m.target })),
  );
}

/** `--flag value` from a command line. */
export function flag(args: readonly string[] | undefined, name: string): string | undefined {
  const i = (args ?? []).indexOf(name);
  return i >= 0 ? args?.[i + 1] : undefined;
}

/** The port of a `host:port` address. */
export function portOf(address: string | undefined): number | undefined {
  const match = /:(\d+)$/.exec(address ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The networks a service is attached to, following `network_mode: service:x` to x's. */
export function networksOf(compose: Compose, name: string): string[] {
  const svc = service(compose, name);
  const shared = svc.network_mode?.startsWith('service:') ? svc.network_mode.slice('service:'.length) : undefined;
  if (shared) return networksOf(compose, shared);
  return [...(svc.networks ?? (svc.network_mode ? [] : ['default']))];
}
