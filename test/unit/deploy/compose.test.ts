// docker-compose.yml, the Dockerfile and the Envoy files must agree on names, ports and who can
// reach whom; nothing here can be checked by running them on this machine (no Docker engine).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flag, loadCompose, mounts, networksOf, portOf, readYaml, REPO, service } from './compose.js';
import { cluster, endpoints, get, listeners, valuesOf } from './walk.js';

const compose = loadCompose();
const sidecar = readYaml('envoy/sidecar.yaml');
const client = readYaml('envoy/client.yaml');
const dockerfile = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
const instructions = dockerfile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const tollgate = service(compose, 'tollgate');

/** JSON-form instruction arguments (ENTRYPOINT/CMD/HEALTHCHECK ... CMD [...]). */
function jsonArgs(instruction: string): string[] {
  const line = instructions.filter((l) => l.startsWith(`${instruction} `)).at(-1) ?? '';
  return JSON.parse(line.slice(line.indexOf('['))) as string[];
}

/** The sidecars: the services that run an Envoy image, by the Envoy file each one mounts. */
function envoyServices(file: string): string[] {
  return Object.entries(compose.services)
    .filter(([, svc]) => svc.image?.startsWith('envoyproxy/envoy:'))
    .filter(([, svc]) => mounts(svc).some((m) => m.source === `./${file}` && m.target === '/etc/envoy/envoy.yaml'))
    .map(([name]) => name);
}

describe('docker-compose.yml', () => {
  it('is a compose-spec file (no version key) whose images are pinned to a release', () => {
    expect(compose).not.toHaveProperty('version');
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.build !== undefined) continue;
      expect(svc.image, name).toMatch(/^[a-z0-9./-]+:v?\d+(\.\d+)*(-[a-z0-9]+)?$/);
    }
  });

  it('mounts only repo paths that exist', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const m of mounts(svc).filter((x) => x.kind === 'bind')) {
        expect(existsSync(path.join(REPO, m.source)), `${name}: ${m.source}`).toBe(true);
      }
    }
  });

  it('declares every named volume and network that a service uses', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const m of mounts(svc).filter((x) => x.kind === 'volume')) expect(compose.volumes, name).toHaveProperty(m.source);
      for (const net of svc.networks ?? []) expect(compose.networks, name).toHaveProperty(net);
    }
  });

  it('runs every Envoy as the non-root uid that the certs step gives the private keys to', () => {
    const owner = service(compose, 'certs').environment?.['KEY_OWNER'];
    expect(owner).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const envoys = Object.values(compose.services).filter((s) => s.image?.startsWith('envoyproxy/envoy:'));
    expect(envoys.length).toBeGreaterThan(0);
    for (const envoy of envoys) expect(envoy.user).toBe(owner);
  });

  it('starts each sidecar only after its certificates exist, and the protected one only once tollgate is ready', () => {
    for (const name of [...envoyServices('envoy/sidecar.yaml'), ...envoyServices('envoy/client.yaml')]) {
      expect(service(compose, name).depends_on?.['certs']?.condition, name).toBe('service_completed_successfully');
    }
    for (const name of envoyServices('envoy/sidecar.yaml')) {
      expect(service(compose, name).depends_on?.['tollgate']?.condition).toBe('service_healthy');
    }
  });
});

describe('ports and addresses', () => {
  const grpcPort = portOf(flag(tollgate.command, '--grpc'));
  const adminPort = portOf(flag(tollgate.command, '--admin'));

  it('tollgate listens on all interfaces in its container, on the ports the image exposes', () => {
    expect(flag(tollgate.command, '--grpc')).toMatch(/^0\.0\.0\.0:/);
    expect(flag(tollgate.command, '--admin')).toMatch(/^0\.0\.0\.0:/);
    const exposed = instructions.find((l) => l.startsWith('EXPOSE '))?.split(/\s+/).slice(1).map(Number);
    expect(exposed).toEqual(expect.arrayContaining([grpcPort, adminPort]));
    expect(portOf(flag(jsonArgs('CMD'), '--grpc'))).toBe(grpcPort);
    expect(portOf(flag(jsonArgs('CMD'), '--admin'))).toBe(adminPort);
  });

  it('the protected sidecar reaches tollgate by service name and gRPC port, on a shared network', () => {
    expect(endpoints(cluster(sidecar, 'tollgate'))).toEqual([{ address: 'tollgate', port: grpcPort }]);
    for (const name of envoyServices('envoy/sidecar.yaml')) {
      expect(networksOf(compose, name)).toEqual(expect.arrayContaining(networksOf(compose, 'tollgate')));
    }
  });

  it('health checks and Prometheus use the admin port', () => {
    const urls = [tollgate.healthcheck?.test.join(' '), jsonArgs('HEALTHCHECK').join(' ')];
    for (const url of urls) expect(url).toContain(`http://127.0.0.1:${adminPort}/readyz`);
    const prometheus = readYaml('demo/prometheus/prometheus.yml');
    expect(get(prometheus, 'scrape_configs', 0, 'static_configs', 0, 'targets')).toEqual([`tollgate:${adminPort}`]);
    expect(networksOf(compose, 'prometheus')).toEqual(expect.arrayContaining(networksOf(compose, 'tollgate')));
  });

  it('client sidecars reach the protected sidecar on its mTLS listener', () => {
    const [target] = endpoints(cluster(client, 'orders_mtls'));
    const inboundPort = get(listeners(sidecar)[0], 'address', 'socket_address', 'port_value');
    expect(target?.port).toBe(inboundPort);
    expect(envoyServices('envoy/sidecar.yaml')).toEqual([target?.address]);
    for (const name of envoyServices('envoy/client.yaml')) {
      expect(networksOf(compose, name)).toContain(networksOf(compose, target?.address ?? '')[0]);
    }
  });

  it('each client app sends to its own sidecar over the shared loopback', () => {
    const egressPort = get(listeners(client)[0], 'address', 'socket_address', 'port_value');
    const apps = Object.entries(compose.services).filter(([, s]) => s.environment?.['CALLER'] !== undefined);
    expect(apps.map(([, s]) => s.environment?.['CALLER']).sort()).toEqual(['checkout', 'intruder']);
    for (const [name, app] of apps) {
      expect(app.environment?.['ORDERS_URL'], name).toBe(`http://127.0.0.1:${egressPort}`);
      const sidecarName = app.network_mode?.replace(/^service:/, '') ?? '';
      expect(envoyServices('envoy/client.yaml'), name).toContain(sidecarName);
    }
  });

  it('the orders app listens on loopback where its sidecar forwards, inside the sidecar\'s namespace', () => {
    const app = service(compose, 'orders-app');
    const [target] = endpoints(cluster(sidecar, 'orders_app'));
    expect(target).toEqual({ address: app.environment?.['HOST'], port: Number(app.environment?.['PORT']) });
    expect(app.network_mode).toBe(`service:${envoyServices('envoy/sidecar.yaml')[0]}`);
  });

  it('no client workload shares a network with tollgate or the orders app', () => {
    for (const name of ['checkout', 'intruder', 'checkout-sidecar', 'intruder-sidecar']) {
      expect(networksOf(compose, name).filter((n) => networksOf(compose, 'tollgate').includes(n)), name).toEqual([]);
    }
  });

  it('Grafana reads Prometheus through a datasource with the uid the dashboard expects', () => {
    const ds = readYaml('demo/grafana/provisioning/datasources/prometheus.yaml');
    expect(get(ds, 'datasources', 0, 'uid')).toBe('prometheus');
    expect(get(ds, 'datasources', 0, 'url')).toBe('http://prometheus:9090');
    const providers = readYaml('demo/grafana/provisioning/dashboards/tollgate.yaml');
    const grafanaMounts = mounts(service(compose, 'grafana'));
    expect(grafanaMounts.map((m) => m.target)).toContain(get(providers, 'providers', 0, 'options', 'path'));
    expect(networksOf(compose, 'grafana')).toEqual(expect.arrayContaining(networksOf(compose, 'prometheus')));
  });

  it('every dashboard provisioned from demo/grafana/dashboards queries that datasource', () => {
    const dir = path.join(REPO, 'demo/grafana/dashboards');
    const dashboards = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(dashboards.length).toBeGreaterThan(0);
    for (const file of dashboards) {
      const sources = valuesOf(JSON.parse(readFileSync(path.join(dir, file), 'utf8')), 'datasource');
      expect(sources.length, file).toBeGreaterThan(0);
      for (const ds of sources) expect(ds, file).toEqual({ type: 'prometheus', uid: 'prometheus' });
    }
  });
});

describe('Dockerfile', () => {
  it('runs the server as a non-root user', () => {
    const user = instructions.filter((l) => l.startsWith('USER ')).at(-1)?.split(/\s+/)[1];
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('ships production dependencies only, without running install scripts, plus the build output', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(runtime).toMatch(/COPY --from=build \S+\/dist \.\/dist/);
  });

  it('copies only repo paths that exist and that .dockerignore lets into the build context', () => {
    const ignored = readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    const sources = instructions
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'proto', 'policies']));
    for (const source of sources) {
      expect(existsSync(path.join(REPO, source)), source).toBe(true);
      expect(ignored.filter((i) => source === i || source.startsWith(`${i}/`)), source).toEqual([]);
    }
  });

  it('starts the same entry point package.json declares as its bin', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { bin: { tollgate: string } };
    expect(jsonArgs('ENTRYPOINT')).toEqual(['node', `/app/${pkg.bin.tollgate}`]);
    expect(jsonArgs('CMD')[0]).toBe('serve');
  });
});
