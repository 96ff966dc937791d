// pg (TypeORM's PostgreSQL driver) ships no types; this covers what the live-status LISTEN connection uses.
declare module 'pg' {
  import { EventEmitter } from 'node:events';

  interface ClientConfig {
    connectionString?: string;
    application_name?: string;
    connectionTimeoutMillis?: number;
  }

  interface Notification {
    processId: number;
    channel: string;
    payload?: string;
  }

  export class Client extends EventEmitter {
    constructor(config?: ClientConfig);
    connect(): Promise<void>;
    query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
    end(): Promise<void>;
    on(event: 'notification', listener: (message: Notification) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'end', listener: () => void): this;
  }
}
