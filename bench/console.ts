import { cpus, loadavg, totalmem } from 'node:os';

/** A progress line on stderr (stdout carries the report), stamped with the time of day. */
export function step(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

/** What the figures were measured on: every report starts with it. */
export function machineInfo() {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGiB: totalmem() / 1024 ** 3, loadAtStart: loadavg() };
}
