import { spawn } from 'node:child_process';

/**
 * Every ffmpeg and ffprobe starts through `setpriv --pdeathsig KILL` (util-linux): the kernel
 * SIGKILLs the tool the moment the worker that spawned it dies, even by `kill -9`. Without it an
 * orphaned ffmpeg (which ignores SIGPIPE) runs on to the end of the video. setpriv execs the tool,
 * so the child's pid is the tool's pid.
 */
export const DIE_WITH_PARENT = ['setpriv', '--pdeathsig', 'KILL', '--'] as const;

/** How much of a tool's stderr is kept for the error detail (the end is where the reason is). */
const STDERR_TAIL_BYTES = 16 * 1024;

export interface ToolRunOptions {
  /** Aborting kills the tool with SIGKILL; the run then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Receives stdout line by line instead of collecting it (ffmpeg's `-progress pipe:1`). */
  onStdoutLine?: (line: string) => void;
  /** Receives stderr line by line as well as keeping its tail. */
  onStderrLine?: (line: string) => void;
}

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

/** The tool ran and exited non-zero (or was killed by someone else). */
export class ToolFailure extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly exitSignal: NodeJS.Signals | null,
    readonly stderr: string,
  ) {
    super(`${tool} exited with ${exitSignal ?? `code ${exitCode}`}`);
    this.name = 'ToolFailure';
  }
}

/** The tool could not be started at all (setpriv's 126/127: missing or not executable): never the file's fault. */
export class ToolUnavailableError extends Error {
  constructor(readonly tool: string, readonly detail: string) {
    super(`${tool} could not be started`);
    this.name = 'ToolUnavailableError';
  }
}

export function runTool(binary: string, args: readonly string[], opts: ToolRunOptions = {}): Promise<ToolOutput> {
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<ToolOutput>((resolve, reject) => {
    const [wrapper, ...wrapperArgs] = DIE_WITH_PARENT;
    const child = spawn(wrapper, [...wrapperArgs, binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const abort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', abort, { once: true });

    child.stdout.setEncoding('utf8');
    // stdout is either collected (ffprobe's JSON) or streamed as lines (ffmpeg's progress), not both.
    child.stdout.on('data', lines(opts.onStdoutLine, (chunk) => (stdout += opts.onStdoutLine ? '' : chunk)));
    child.stderr.setEncoding('utf8');
    child.stderr.on(
      'data',
      lines(opts.onStderrLine, (chunk) => {
        stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
      }),
    );

    child.once('error', (err) => {
      signal?.removeEventListener('abort', abort);
      reject(err);
    });
    child.once('close', (code, exitSignal) => {
      signal?.removeEventListener('abort', abort);
      if (signal?.aborted) reject(signal.reason);
      else if (code === 0) resolve({ stdout, stderr });
      else if ((code === 126 || code === 127) && /^setpriv:/m.test(stderr)) reject(new ToolUnavailableError(binary, stderr));
      else reject(new ToolFailure(binary, code, exitSignal, stderr));
    });
  });
}

/** Feeds `onLine` whole lines (when given) and passes every chunk on to `keep`. */
function lines(onLine: ((line: string) => void) | undefined, keep: (chunk: string) => void) {
  let partial = '';
  return (chunk: string) => {
    keep(chunk);
    if (!onLine) return;
    const parts = (partial + chunk).split(/\r?\n|\r/);
    partial = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  };
}
