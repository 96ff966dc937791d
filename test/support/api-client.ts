import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { IntakeClient, createIntakeClient } from '../../clients/ts/src';
import { ResponseContract } from './response-contract';

// Jest-free on purpose: the benchmarks use putPresigned too.

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

let contract: ResponseContract | undefined;
const checkContract = (method: string, path: string, status: number, body: unknown) =>
  (contract ??= new ResponseContract()).check(method, path, status, body);

/**
 * The calls a SaaS backend makes, over plain HTTP. Every answer is checked against the API
 * description (ResponseContract): a response the document does not describe throws.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  /** The typed client (clients/ts) with the same credentials, its answers checked like this client's. */
  typed(): IntakeClient {
    const client = createIntakeClient({ apiUrl: this.baseUrl, apiKey: this.token ?? '' });
    client.api.use({
      async onResponse({ request, response }) {
        const json = response.headers.get('content-type')?.includes('application/json');
        const text = json || response.status === 204 ? await response.clone().text() : undefined;
        if (text !== undefined) checkContract(request.method, new URL(request.url).pathname, response.status, text ? JSON.parse(text) : null);
      },
    });
    return client;
  }

  withToken(token: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async call<T = any>(method: string, path: string, body?: unknown, rawBody?: string): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : null;
    checkContract(method, path, res.status, parsed);
    return { status: res.status, body: parsed };
  }

  post<T = any>(path: string, body?: unknown) {
    return this.call<T>('POST', path, body);
  }

  get<T = any>(path: string) {
    return this.call<T>('GET', path);
  }
}

/**
 * PUTs bytes to a presigned URL with exactly the headers the API handed out (node:http, because
 * fetch will not let a caller set Content-Length, and both it and Content-Type are signed).
 */
export function putPresigned(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; body: string }> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
