import { existsSync, readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { parse } from 'yaml';
import { configSchema } from '../../src/config/config';

/**
 * docker-compose.yml cannot be run here (no Docker engine), so this checks its wiring instead:
 * the app's environment names real config keys and points at the services that exist, on the ports
 * they listen on, with the credentials they were given.
 */

type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: string | { context?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, unknown> | string[];
  ports?: Array<string | number>;
  expose?: Array<string | number>;
  volumes?: string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
}

const root = resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
// Compose resolves `<<` merge keys; YAML 1.2 parsers do so only when asked.
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  'x-intake-env'?: Record<string, unknown>;
};
const services = compose.services;
const configKeys = Object.keys(configSchema.shape);

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** What compose hands the container: `${VAR:-default}` as its default (VAR unset), `$$` as `$`. */
/** Secrets the caller must provide (`${VAR:?message}`), so none has a well-known default: compose refuses to start without them. */
const REQUIRED_FROM_CALLER = new Set(['ADMIN_TOKEN', 'STORAGE_EVENTS_TOKEN', 'S3_SECRET_ACCESS_KEY', 'S3_PRESIGN_SECRET_ACCESS_KEY', 'OUTPUT_URL_SECRET', 'METRICS_TOKEN']);

function interpolate(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-|:\?)([^}]*))?\}/g,
    (match, name?: string, operator?: string, fallback?: string) => {
      if (match === '$$') return '$';
      if (operator === ':?' && REQUIRED_FROM_CALLER.has(name!)) return `value-the-caller-sets-for-${name}`;
      if (operator === ':?') throw new Error(`\${${name}} must not be required from the caller`);
      if (fallback === undefined) throw new Error(`\${${name}} has no default, so it depends on the caller's shell`);
      return fallback;
    },
  );
}

function envOf(name: string): Env {
  const raw = service(name).environment ?? {};
  const pairs = Array.isArray(raw)
    ? raw.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
    : Object.entries(raw).map(([k, v]) => [k, v == null ? '' : String(v)]);
  return Object.fromEntries(pairs.map(([k, v]) => [k, interpolate(v)]));
}

/** "8233:8080", "127.0.0.1:9000:9000/tcp", "3310" -> { host, container }. */
function portMappings(name: string): Array<{ host?: number; container: number }> {
  const svc = service(name);
  const published = (svc.ports ?? []).map((entry) => {
    const parts = interpolate(String(entry)).replace(/\/(tcp|udp)$/, '').split(':');
    const container = Number(parts[parts.length - 1]);
    return { host: parts.length > 1 ? Number(parts[parts.length - 2]) : undefined, container };
  });
  const exposed = (svc.expose ?? []).map((entry) => ({ container: Number(String(entry).replace(/\/(tcp|udp)$/, '')) }));
  return [...published, ...exposed];
}
const containerPorts = (name: string) => portMappings(name).map((p) => p.container);

function dependencies(name: string): string[] {
  const deps = service(name).depends_on ?? [];
  return Array.isArray(deps) ? deps : Object.keys(deps);
}

function dependsOnTransitively(name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const dep of dependencies(n)) {
      if (!seen.has(dep)) {
        seen.add(dep);
        visit(dep);
      }
    }
  };
  visit(name);
  return seen;
}

/** The host file bind-mounted at `target` (short syntax "./file:/target[:ro]"). */
function mountedFile(name: string, target: string): string {
  const mount = (service(name).volumes ?? []).map((v) => v.split(':')).find((parts) => parts[1] === target);
  if (!mount) throw new Error(`${name} mounts nothing at ${target}`);
  expect(mount[0]).toMatch(/^\.\//);
  return join(root, mount[0]);
}

function hostPort(address: string): { host: string; port: number } {
  const url = new URL(address.includes('://') ? address : `grpc://${address}`);
  return { host: url.hostname, port: Number(url.port) };
}

/** clamd.conf: "Directive value" lines; comments and blank lines ignored. */
function parseClamdConf(text: string): Map<string, string> {
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [directive, ...rest] = line.split(/\s+/);
      return [directive, rest.join(' ')] as const;
    });
  return new Map(entries);
}

function clamdSize(value: string | undefined): number {
  const match = /^(\d+)([KM]?)$/i.exec(value ?? '');
  if (!match) throw new Error(`not a clamd size: ${value}`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2 }[match[2].toUpperCase() as '' | 'K' | 'M'];
  return Number(match[1]) * unit;
}

/** Dockerfile instructions, continuation lines joined and comments dropped. */
function dockerfileInstructions(): Array<{ op: string; args: string }> {
  return read('Dockerfile')
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

const commandText = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(' ') : (value ?? ''));
const appServices = ['api', 'worker'] as const;

describe('docker-compose.yml', () => {
  it('defines the platform and its dependencies', () => {
    for (const name of ['postgres', 'temporal', 'temporal-ui', 's3', 'createbucket', 'clamav', 'api', 'worker']) {
      expect(Object.keys(services)).toContain(name);
    }
  });

  it('gives api and worker only variables that src/config/config.ts reads', () => {
    for (const name of appServices) {
      const unknown = Object.keys(envOf(name)).filter((key) => !configKeys.includes(key));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });

  it('gives api and worker environments that pass config validation', () => {
    for (const name of appServices) {
      const result = configSchema.safeParse(envOf(name));
      const issues = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
      expect({ service: name, issues }).toEqual({ service: name, issues: [] });
    }
  });

  it('has no insecure defaults: the admin token comes from the caller, only the API listens beyond localhost', () => {
    expect(String(compose['x-intake-env']?.ADMIN_TOKEN)).toMatch(/^\$\{ADMIN_TOKEN:\?/);
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const entry of svc.ports ?? []) {
        const parts = interpolate(String(entry)).split(':');
        const bind = parts.length === 3 ? parts[0] : '0.0.0.0';
        expect({ service: name, port: String(entry), bind }).toEqual({
          service: name,
          port: String(entry),
          bind: name === 'api' ? '0.0.0.0' : '127.0.0.1',
        });
      }
    }
  });

  it('shares one environment (x-intake-env) between api and worker', () => {
    const shared = compose['x-intake-env'];
    expect(shared).toBeDefined();
    const keys = Object.keys(shared ?? {});
    for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'S3_ENDPOINT', 'S3_BUCKET', 'ADMIN_TOKEN']) {
      expect(keys).toContain(key);
    }
    const api = envOf('api');
    const worker = envOf('worker');
    for (const key of keys) {
      expect({ key, worker: worker[key] }).toEqual({ key, worker: api[key] });
    }
  });

  it('points DATABASE_URL at the postgres service with its credentials', () => {
    const postgres = envOf('postgres');
    for (const name of appServices) {
      const url = new URL(envOf(name).DATABASE_URL);
      expect(url.hostname).toBe('postgres');
      expect(containerPorts('postgres')).toContain(Number(url.port || 5432));
      expect(decodeURIComponent(url.username)).toBe(postgres.POSTGRES_USER ?? 'postgres');
      expect(decodeURIComponent(url.password)).toBe(postgres.POSTGRES_PASSWORD);
      expect(url.pathname.slice(1)).toBe(postgres.POSTGRES_DB ?? postgres.POSTGRES_USER);
    }
  });

  it('points TEMPORAL_ADDRESS at the temporal service and its namespace', () => {
    const temporal = envOf('temporal');
    for (const name of appServices) {
      const env = envOf(name);
      const { host, port } = hostPort(env.TEMPORAL_ADDRESS);
      expect(host).toBe('temporal');
      expect(containerPorts('temporal')).toContain(port);
      // auto-setup registers DEFAULT_NAMESPACE ("default" when unset); the app must use that one.
      expect(env.TEMPORAL_NAMESPACE ?? 'default').toBe(temporal.DEFAULT_NAMESPACE ?? 'default');
    }
  });

  it('points S3 at the s3 service with its root credentials, and presigns for the published port', () => {
    const minio = envOf('s3');
    for (const name of appServices) {
      const env = envOf(name);
      const internal = hostPort(env.S3_ENDPOINT);
      expect(internal.host).toBe('s3');
      expect(containerPorts('s3')).toContain(internal.port);
      expect(env.S3_ACCESS_KEY_ID).toBe(minio.MINIO_ROOT_USER);
      expect(env.S3_SECRET_ACCESS_KEY).toBe(minio.MINIO_ROOT_PASSWORD);
      expect(env.S3_FORCE_PATH_STYLE).toBe('true');

      // Presigned URLs leave the compose network: they must name a port s3 publishes on the host.
      const publicEndpoint = hostPort(env.S3_PUBLIC_ENDPOINT);
      expect(['localhost', '127.0.0.1']).toContain(publicEndpoint.host);
      const published = portMappings('s3').find((p) => p.container === internal.port)?.host;
      expect(publicEndpoint.port).toBe(published);
    }
  });

  it('creates the app bucket with the same credentials before the app starts', () => {
    const app = envOf('api');
    const job = envOf('createbucket');
    const script = `${commandText(service('createbucket').entrypoint)} ${commandText(service('createbucket').command)}`;
    expect(script).toContain(app.S3_ENDPOINT);
    expect(script).toMatch(/mc mb --ignore-existing/);
    expect(job.S3_BUCKET).toBe(app.S3_BUCKET);
    expect(job.S3_ACCESS_KEY_ID).toBe(app.S3_ACCESS_KEY_ID);
    expect(job.S3_SECRET_ACCESS_KEY).toBe(app.S3_SECRET_ACCESS_KEY);
    for (const name of appServices) {
      const deps = service(name).depends_on as Record<string, { condition?: string }>;
      expect(deps.createbucket?.condition).toBe('service_completed_successfully');
    }
  });

  it('signs upload URLs with a user createbucket creates, which may only write under incoming/', () => {
    const app = envOf('api');
    const job = envOf('createbucket');
    const script = commandText(service('createbucket').command);
    expect(app.S3_PRESIGN_ACCESS_KEY_ID).toBeTruthy();
    expect(app.S3_PRESIGN_ACCESS_KEY_ID).not.toBe(app.S3_ACCESS_KEY_ID);
    expect(job.S3_PRESIGN_ACCESS_KEY_ID).toBe(app.S3_PRESIGN_ACCESS_KEY_ID);
    expect(job.S3_PRESIGN_SECRET_ACCESS_KEY).toBe(app.S3_PRESIGN_SECRET_ACCESS_KEY);
    expect(script).toMatch(/mc admin user add intake "\$\$S3_PRESIGN_ACCESS_KEY_ID" "\$\$S3_PRESIGN_SECRET_ACCESS_KEY"/);
    expect(script).toMatch(/mc admin policy attach intake (\S+) --user "\$\$S3_PRESIGN_ACCESS_KEY_ID"/);
    const policy = JSON.parse(readFileSync(mountedFile('createbucket', '/etc/intake/upload-signer-policy.json'), 'utf8'));
    expect(script).toContain('/etc/intake/upload-signer-policy.json');
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`arn:aws:s3:::${app.S3_BUCKET}/incoming/*`] }),
    ]);
  });

  it('has MinIO announce new incoming/ objects to the API, with the token the API expects, queued while it is down', () => {
    const minio = envOf('s3');
    const app = envOf('api');
    const endpoint = new URL(minio.MINIO_NOTIFY_WEBHOOK_ENDPOINT_INTAKE);
    expect(minio.MINIO_NOTIFY_WEBHOOK_ENABLE_INTAKE).toBe('on');
    expect(endpoint.hostname).toBe('api');
    expect(Number(endpoint.port)).toBe(configSchema.parse(app).PORT);
    expect(endpoint.pathname).toBe('/v1/storage-events');
    expect(minio.MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_INTAKE).toBe(app.STORAGE_EVENTS_TOKEN);
    const queueDir = minio.MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_INTAKE;
    expect((service('s3').volumes ?? []).some((v) => v.split(':')[1] === queueDir)).toBe(true);
    expect(commandText(service('createbucket').command)).toMatch(
      /mc event add --ignore-existing "intake\/\$\$S3_BUCKET" arn:minio:sqs::INTAKE:webhook --event put --prefix incoming\//,
    );
  });

  it('points the worker at clamd on the port clamd.conf listens on', () => {
    const env = envOf('worker');
    const clamd = parseClamdConf(readFileSync(mountedFile('clamav', '/etc/clamav/clamd.conf'), 'utf8'));
    expect(env.CLAMD_HOST).toBe('clamav');
    expect(env.CLAMD_PORT).toBe(clamd.get('TCPSocket'));
    expect(containerPorts('clamav')).toContain(Number(env.CLAMD_PORT));
  });

  it('runs both worker queues and serves the API on its published port', () => {
    const worker = configSchema.parse(envOf('worker'));
    expect([...worker.WORKER_QUEUES].sort()).toEqual(['backfill', 'transcode', 'uploads', 'webhooks']);
    expect(commandText(service('worker').command)).toMatch(/node dist\/src\/worker\.js/);

    const api = configSchema.parse(envOf('api'));
    expect(api.HOST).toBe('0.0.0.0');
    expect(portMappings('api')).toContainEqual({ host: 3000, container: api.PORT });
  });

  it('probes the worker on the readiness endpoint of the port it serves health on', () => {
    const worker = configSchema.parse(envOf('worker'));
    expect(worker.WORKER_HTTP_PORT).toBeGreaterThan(0);
    expect(commandText(service('worker').healthcheck?.test ?? [])).toContain(`http://127.0.0.1:${worker.WORKER_HTTP_PORT}/readyz`);
  });

  it('builds api and worker from the repository Dockerfile into one image', () => {
    for (const name of appServices) {
      const build = service(name).build;
      const context = typeof build === 'string' ? build : build?.context;
      expect({ name, context }).toEqual({ name, context: '.' });
    }
    expect(service('worker').image).toBe(service('api').image);
  });

  it('only depends on services that exist, and waits for health only where a healthcheck exists', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const dep of dependencies(name)) {
        expect({ service: name, dependsOn: dep, exists: dep in services }).toEqual({ service: name, dependsOn: dep, exists: true });
      }
      if (svc.depends_on && !Array.isArray(svc.depends_on)) {
        for (const [dep, { condition }] of Object.entries(svc.depends_on)) {
          if (condition === 'service_healthy') {
            expect({ service: name, dependsOn: dep, healthcheck: Boolean(services[dep]?.healthcheck?.test) }).toEqual({
              service: name,
              dependsOn: dep,
              healthcheck: true,
            });
          }
        }
      }
    }
  });

  it('starts api and worker only after the services they talk to', () => {
    const needs = { api: ['postgres', 'temporal', 's3'], worker: ['postgres', 'temporal', 's3', 'clamav'] };
    for (const [name, deps] of Object.entries(needs)) {
      const reached = dependsOnTransitively(name);
      expect({ service: name, missing: deps.filter((d) => !reached.has(d)) }).toEqual({ service: name, missing: [] });
    }
  });

  it('gives postgres and s3 healthchecks', () => {
    expect(service('postgres').image).toBe('postgres:16');
    expect(commandText(service('postgres').healthcheck?.test)).toMatch(/pg_isready/);
    expect(service('s3').image).toMatch(/^minio\/minio(:|$)/);
    expect(commandText(service('s3').command)).toBe('server /data --console-address :9001');
    expect(service('s3').healthcheck?.test).toBeDefined();
  });
});

describe('temporal in docker-compose.yml', () => {
  it('persists to the postgres service', () => {
    const temporal = service('temporal');
    const env = envOf('temporal');
    const postgres = envOf('postgres');
    expect(temporal.image).toMatch(/^temporalio\/auto-setup:/);
    expect(['postgres12', 'postgres12_pgx']).toContain(env.DB);
    expect(env.POSTGRES_SEEDS).toBe('postgres');
    expect(containerPorts('postgres')).toContain(Number(env.DB_PORT));
    expect(env.POSTGRES_USER).toBe(postgres.POSTGRES_USER);
    expect(env.POSTGRES_PWD).toBe(postgres.POSTGRES_PASSWORD);
    expect((temporal.depends_on as Record<string, { condition?: string }>).postgres?.condition).toBe('service_healthy');
  });

  it('loads a dynamic config file that exists', () => {
    const path = envOf('temporal').DYNAMIC_CONFIG_FILE_PATH;
    expect(path).toBeDefined();
    // Relative to the image's working directory, /etc/temporal.
    const inContainer = posix.resolve('/etc/temporal', path);
    const dir = mountedFile('temporal', posix.dirname(inContainer));
    expect(existsSync(join(dir, posix.basename(inContainer)))).toBe(true);
  });

  it('serves the UI on 8233 against the same frontend as the app', () => {
    expect(service('temporal-ui').image).toMatch(/^temporalio\/ui(:|$)/);
    expect(envOf('temporal-ui').TEMPORAL_ADDRESS).toBe(envOf('api').TEMPORAL_ADDRESS);
    expect(portMappings('temporal-ui').map((p) => p.host)).toContain(8233);
  });
});

describe('clamd.conf mounted into clamav', () => {
  const clamd = () => parseClamdConf(readFileSync(mountedFile('clamav', '/etc/clamav/clamd.conf'), 'utf8'));

  it('reports files over the limits as findings, never as clean', () => {
    expect(clamd().get('AlertExceedsMax')).toBe('yes');
  });

  it('accepts streams beyond 2 GiB, so the app (not clamd) decides what is too large', () => {
    for (const directive of ['StreamMaxLength', 'MaxScanSize', 'MaxFileSize']) {
      expect({ directive, aboveTwoGiB: clamdSize(clamd().get(directive)) > 2 * 1024 ** 3 }).toEqual({
        directive,
        aboveTwoGiB: true,
      });
    }
  });

  it('keeps the local socket the clamav image entrypoint waits for', () => {
    expect(clamd().get('LocalSocket')).toBeTruthy();
  });

  it('sets every limit and alert that decides what "clean" means, instead of relying on defaults', () => {
    const expected = {
      MaxRecursion: /^\d+$/,
      MaxFiles: /^\d+$/,
      MaxScanTime: /^\d+$/,
      HeuristicAlerts: /^yes$/,
      AlertEncryptedArchive: /^yes$/,
      AlertEncryptedDoc: /^yes$/,
      ScanArchive: /^yes$/,
      ScanPDF: /^yes$/,
    };
    for (const [directive, pattern] of Object.entries(expected)) {
      expect({ directive, value: clamd().get(directive) }).toEqual({ directive, value: expect.stringMatching(pattern) });
    }
  });

  it('takes a stream of the default SCAN_MAX_BYTES', () => {
    const scanMax = configSchema.parse({}).SCAN_MAX_BYTES;
    expect(clamdSize(clamd().get('StreamMaxLength'))).toBeGreaterThanOrEqual(scanMax);
  });

  it('is the scanning policy the local stack copies (scripts/lib/stack.sh start_clamd)', () => {
    const marker = '# === Scanning policy ===';
    const conf = readFileSync(mountedFile('clamav', '/etc/clamav/clamd.conf'), 'utf8');
    expect(conf).toContain(marker);
    expect(conf.slice(conf.indexOf(marker))).toMatch(/^StreamMaxLength /m);
    expect(read('scripts/lib/stack.sh')).toContain(`sed -n '/^${marker}/,$p'`);
  });
});

describe('EICAR body signature in the clamav service', () => {
  it('is mounted, then copied into the database directory before the image\'s /init starts clamd', () => {
    const file = mountedFile('clamav', '/etc/clamav/eicar-body.ndb');
    const databaseDir = parseClamdConf(readFileSync(mountedFile('clamav', '/etc/clamav/clamd.conf'), 'utf8')).get('DatabaseDirectory');
    const entrypoint = commandText(service('clamav').entrypoint);
    expect(entrypoint).toContain(`cp /etc/clamav/eicar-body.ndb ${databaseDir}/`);
    expect(entrypoint).toMatch(/&& exec \/init$/);
    // An .ndb body signature for any file type ("0") at any offset ("*") whose hex is the EICAR string.
    const [name, target, offset, hex] = readFileSync(file, 'utf8').trim().split(':');
    expect([name, target, offset]).toEqual(['Eicar-Test-Signature-Body', '0', '*']);
    expect(Buffer.from(hex, 'hex').toString('latin1')).toMatch(/^X5O!P%@AP\[4\\PZX54\(P\^\)7CC\)7\}\$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!\$H\+H\*$/);
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfileInstructions();
  const runs = instructions.filter((i) => i.op === 'RUN').map((i) => i.args);

  it('builds on Node 24', () => {
    const bases = instructions.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]);
    expect(bases.length).toBeGreaterThan(0);
    for (const base of bases) expect(base).toMatch(/^node:24([-.]|$)/);
  });

  it('installs ffmpeg and perl (exiftool-vendored) with apt', () => {
    const install = runs.find((r) => /apt-get install/.test(r)) ?? '';
    expect(install).toMatch(/\bffmpeg\b/);
    expect(install).toMatch(/\bperl\b/);
  });

  it('installs from the lock file and runs the build', () => {
    expect(runs.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
  });

  it('migrates, then starts the API, from files the build produces', () => {
    const cmd = instructions.filter((i) => i.op === 'CMD').pop()?.args ?? '';
    expect(cmd).toMatch(/node dist\/src\/database\/migrate\.js && (exec )?node dist\/src\/main\.js/);
    const started = [cmd, commandText(service('worker').command)].flatMap((c) => [...c.matchAll(/dist\/(\S+?)\.js/g)]);
    expect(started.length).toBeGreaterThanOrEqual(3);
    for (const [, source] of started) expect(existsSync(join(root, `${source}.ts`))).toBe(true);
  });

  it('keeps host node_modules and dist out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist']));
  });
});
