// Small lookups over parsed YAML for the deploy tests: find nested values by key, and pick the
// pieces of an Envoy bootstrap the tests talk about (clusters, filters, routes).

type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every value stored under `key`, anywhere in the document, in document order. */
export function valuesOf(doc: unknown, key: string): unknown[] {
  const found: unknown[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObj(node)) {
      for (const [k, v] of Object.entries(node)) {
        if (k === key) found.push(v);
        visit(v);
      }
    }
  };
  visit(doc);
  return found;
}

/** Every object in the document that has `key` (for instance every typed config with "@type"). */
export function objectsWith(doc: unknown, key: string): Obj[] {
  const found: Obj[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObj(node)) {
      if (key in node) found.push(node);
      Object.values(node).forEach(visit);
    }
  };
  visit(doc);
  return found;
}

export function get(node: unknown, ...keys: (string | number)[]): unknown {
  let current: unknown = node;
  for (const key of keys) {
    if (Array.isArray(current) && typeof key === 'number') current = current[key];
    else if (isObj(current) && typeof key === 'string') current = current[key];
    else return undefined;
  }
  return current;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export function clusters(doc: unknown): Obj[] {
  return (get(doc, 'static_resources', 'clusters') as Obj[] | undefined) ?? [];
}

export function cluster(doc: unknown, name: string): Obj {
  const found = clusters(doc).find((c) => c['name'] === name);
  if (!found) throw new Error(`no cluster ${name}`);
  return found;
}

/** The socket endpoints of a cluster's load assignment. */
export function endpoints(clusterConfig: Obj): Endpoint[] {
  return valuesOf(clusterConfig['load_assignment'], 'socket_address').map((s) => ({
    address: String(get(s, 'address')),
    port: Number(get(s, 'port_value')),
  }));
}

export function listeners(doc: unknown): Obj[] {
  return (get(doc, 'static_resources', 'listeners') as Obj[] | undefined) ?? [];
}

/** The typed_config of the HTTP connection manager of the first filter chain of a listener. */
export function connectionManager(listener: Obj): Obj {
  const hcm = get(listener, 'filter_chains', 0, 'filters', 0, 'typed_config');
  if (!isObj(hcm)) throw new Error('listener has no HTTP connection manager');
  return hcm;
}

export function httpFilters(hcm: Obj): Obj[] {
  return (hcm['http_filters'] as Obj[] | undefined) ?? [];
}

export function routes(hcm: Obj): Obj[] {
  return valuesOf(get(hcm, 'route_config', 'virtual_hosts'), 'routes').flat() as Obj[];
}
