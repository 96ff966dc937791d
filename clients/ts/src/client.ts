import createClient, { Client } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Upload = components['schemas']['Upload'];
export type ErrorBody = components['schemas']['ErrorBody'];
export type ErrorCode = ErrorBody['error']['code'];
export type IntakeApi = Client<paths>;

export interface IntakeClientOptions {
  /** e.g. `https://intake.example.com` (no trailing `/v1`). */
  apiUrl: string;
  /** An API key (`ik_…`) or an upload token (`ut_…`). */
  apiKey: string;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
}

/** An API answer that is not a success: the catalogue's code and message, and the HTTP status. */
export class IntakeApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'UNEXPECTED_RESPONSE',
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'IntakeApiError';
  }
}

/** The typed openapi-fetch client, authenticated. Every path, body and answer is typed from the API description. */
export function createIntakeApi(options: IntakeClientOptions): IntakeApi {
  return createClient<paths>({
    baseUrl: options.apiUrl.replace(/\/+$/, ''),
    headers: { authorization: `Bearer ${options.apiKey}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/** The data of an openapi-fetch result, or an IntakeApiError from its error body. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok && result.data !== undefined) return result.data;
  const body = result.error as Partial<ErrorBody> | undefined;
  if (body?.error?.code) throw new IntakeApiError(result.response.status, body.error.code, body.error.message ?? '');
  throw new IntakeApiError(result.response.status, 'UNEXPECTED_RESPONSE', `HTTP ${result.response.status}`);
}
