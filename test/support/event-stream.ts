// Jest-free on purpose: bench/sse uses it too.

export interface ServerSentEvent {
  event: string;
  data: string;
}

/**
 * A Server-Sent Events client over fetch, enough for Intake's streams: `event:` and `data:` fields,
 * comment lines (`: hb`) counted, events handed out in order as they arrive.
 */
export class EventStreamReader {
  comments = 0;
  private readonly queue: ServerSentEvent[] = [];
  private waiting: (() => void) | null = null;
  private ended = false;
  private failure: unknown = null;

  private constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly abort: AbortController,
  ) {}

  /** Opens the stream; a non-200 answer is returned with its JSON body instead. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<EventStreamReader | { status: number; body: any }> {
    const abort = new AbortController();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
    if (res.status !== 200 || !res.body) {
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    }
    const reader = new EventStreamReader(res.status, res.headers, abort);
    void reader.pump(res.body);
    return reader;
  }

  /** The next event, or null once the server ended the stream. */
  async next(timeoutMs = 60_000): Promise<ServerSentEvent | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0 && !this.ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (this.queue.length) return this.queue.shift()!;
    if (this.failure) throw this.failure;
    return null;
  }

  /** Every event until the server ends the stream. */
  async rest(timeoutMs = 120_000): Promise<ServerSentEvent[]> {
    const deadline = Date.now() + timeoutMs;
    const events: ServerSentEvent[] = [];
    for (let e = await this.next(timeoutMs); e; e = await this.next(Math.max(1, deadline - Date.now()))) events.push(e);
    return events;
  }

  get done(): boolean {
    return this.ended;
  }

  close(): void {
    this.abort.abort();
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    let event: ServerSentEvent = { event: 'message', data: '' };
    let hasData = false;
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (line === '') {
            if (hasData) this.push(event);
            event = { event: 'message', data: '' };
            hasData = false;
          } else if (line.startsWith(':')) {
            this.comments++;
            this.wake();
          } else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event.event = value;
            if (field === 'data') {
              event.data = hasData ? `${event.data}\n${value}` : value;
              hasData = true;
            }
          }
        }
      }
    } catch (err) {
      if (!this.abort.signal.aborted) this.failure = err;
    }
    this.ended = true;
    this.wake();
  }

  private push(event: ServerSentEvent): void {
    this.queue.push(event);
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.();
  }
}

/** Opens a stream that must answer 200. */
export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
  const opened = await EventStreamReader.open(url, headers);
  if (!(opened instanceof EventStreamReader)) throw new Error(`event stream answered ${opened.status}: ${JSON.stringify(opened.body)}`);
  return opened;
}
