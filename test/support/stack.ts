import { AppConfig, loadConfig } from '../../src/config/config';

/**
 * Integration and e2e tests run against the real services that scripts/test.sh starts and
 * describes through the usual environment variables (INTAKE_TEST_STACK marks that it did).
 */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  if (!process.env.INTAKE_TEST_STACK) {
    throw new Error(
      'These tests need the real services (Temporal, S3, clamd, PostgreSQL). Run them with `npm test` ' +
        '(scripts/test.sh), which starts the stack and exports its addresses.',
    );
  }
  return loadConfig({ ...process.env, ...overrides });
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
