#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { IntakeApiError, TERMINAL_STATUSES, type Upload, WaitTimeoutError, createIntakeClient } from '../clients/ts/src';
import { EXIT, describeUpload, exitFor } from './output';
import { progressDisplay } from './progress';
import { ResumeStore, stateFile } from './resume-store';
import { uploadCommand } from './upload-command';

const USAGE = `Usage:
  intake upload <file|folder>... [--watch] [--mode auto|put|multipart]
  intake status <upload-id>
  intake events <upload-id>

Options:
  --api-url <url>      or INTAKE_API_URL
  --api-key <key>      or INTAKE_API_KEY (an API key ik_… or an upload token ut_…)
  --json               machine-readable output on stdout
  --watch              (upload) wait until every upload is ready, rejected or failed
  --timeout <seconds>  (upload --watch) how long to wait for each upload; default 600
  --mode <mode>        (upload) auto (default): multipart above --multipart-threshold bytes
  --multipart-threshold <bytes>, --concurrency <parts in flight>
  -h, --help

Exit codes: 0 all ready (or uploaded, without --watch), 1 some refused/rejected/failed/expired,
2 usage or configuration error, 3 API or network error.`;

class UsageError extends Error {}

const positiveInt = (value: string | undefined, flag: string): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value)) throw new UsageError(`${flag} must be a positive whole number`);
  return Number(value);
};

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'api-url': { type: 'string' },
      'api-key': { type: 'string' },
      json: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      mode: { type: 'string', default: 'auto' },
      'multipart-threshold': { type: 'string' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const apiUrl = values['api-url'] ?? env.INTAKE_API_URL;
  const apiKey = values['api-key'] ?? env.INTAKE_API_KEY;
  if (!apiUrl || !apiKey) throw new UsageError('set the API with --api-url/--api-key or INTAKE_API_URL/INTAKE_API_KEY');
  const client = createIntakeClient({ apiUrl, apiKey });
  const print = (value: unknown) => process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);

  switch (command) {
    case 'upload': {
      if (!args.length) throw new UsageError('upload needs at least one file or folder');
      if (!['auto', 'put', 'multipart'].includes(values.mode!)) throw new UsageError('--mode must be auto, put or multipart');
      const display = progressDisplay(process.stdout, values.json!);
      try {
        const { results, exitCode } = await uploadCommand(args, {
          client,
          apiUrl,
          store: new ResumeStore(stateFile(env)),
          display,
          watch: values.watch!,
          mode: values.mode as 'auto' | 'put' | 'multipart',
          multipartThreshold: positiveInt(values['multipart-threshold'], '--multipart-threshold'),
          concurrency: positiveInt(values.concurrency, '--concurrency'),
          timeoutMs: (positiveInt(values.timeout, '--timeout') ?? 600) * 1000,
        });
        if (values.json) print({ results });
        return exitCode;
      } finally {
        display.stop();
      }
    }
    case 'status': {
      if (args.length !== 1) throw new UsageError('status takes one upload id');
      const upload = await client.getUpload(args[0]!);
      print(values.json ? upload : describeUpload(upload));
      return exitFor(upload.status);
    }
    case 'events': {
      if (args.length !== 1) throw new UsageError('events takes one upload id');
      let last: Upload['status'] | undefined;
      for await (const upload of client.events(args[0]!)) {
        print(values.json ? JSON.stringify(upload) : describeUpload(upload));
        last = upload.status;
      }
      // A stream that ended before the upload did (the API went away) is not a success.
      if (!last || !TERMINAL_STATUSES.has(last)) {
        process.stderr.write('intake: the event stream ended before the upload did\n');
        return EXIT.api;
      }
      return exitFor(last);
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** The exit code for what went wrong: the caller's mistake (2) or the API's or network's (3). */
function exitForError(err: unknown): number {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`intake: ${(err as Error).message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (err instanceof IntakeApiError && err.status === 401) {
    process.stderr.write(`intake: the API refused the key (${err.message})\n`);
    return EXIT.usage;
  }
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    process.stderr.write(`intake: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  const what = err instanceof IntakeApiError || err instanceof WaitTimeoutError ? (err as Error).message : `network error: ${String((err as Error).cause ?? err)}`;
  process.stderr.write(`intake: ${what}\n`);
  return EXIT.api;
}

run(process.argv.slice(2), process.env).then(
  (code) => (process.exitCode = code),
  (err: unknown) => (process.exitCode = exitForError(err)),
);
