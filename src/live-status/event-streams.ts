import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig, CONFIG } from '../config/config';

/** One Server-Sent Events response: named events with JSON data. */
export interface EventStream {
  send(event: string, data: unknown): void;
  end(): void;
}

/**
 * The process's open Server-Sent Events responses. One shared interval writes the heartbeat
 * comment to all of them (proxies close streams that stay silent), running only while any is
 * open; a timer per stream would cost a timer per client. On shutdown every stream is ended, or
 * the HTTP server would wait for them forever: clients reconnect, elsewhere.
 */
@Injectable()
export class EventStreams implements BeforeApplicationShutdown {
  private readonly open = new Set<Response>();
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly heartbeatMs: number;

  constructor(@Inject(CONFIG) config: AppConfig) {
    this.heartbeatMs = config.LIVE_STATUS_HEARTBEAT_SECONDS * 1000;
  }

  /** Answers `res` with an event stream; `onClose` runs once it ends, whichever side ends it. */
  start(res: Response, onClose: () => void): EventStream {
    // A client that left while the request was being checked gets no stream (and no close event).
    if (res.destroyed || !res.socket || res.socket.destroyed) {
      onClose();
      return { send: () => undefined, end: () => undefined };
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      // nginx would otherwise buffer the stream and deliver events late, in batches.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    this.open.add(res);
    this.heartbeat ??= setInterval(() => this.beat(), this.heartbeatMs).unref();
    res.once('close', () => {
      this.open.delete(res);
      if (this.open.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
      onClose();
    });
    const writable = () => !res.writableEnded && !res.destroyed;
    return {
      // JSON.stringify escapes newlines, so one `data:` line always holds the whole event.
      send: (event, data) => writable() && res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
      end: () => writable() && res.end(),
    };
  }

  beforeApplicationShutdown(): void {
    for (const res of this.open) res.end();
  }

  private beat(): void {
    for (const res of this.open) if (!res.writableEnded && !res.destroyed) res.write(': hb\n\n');
  }
}
