// clamscan ships no types; this covers the part Intake uses.
declare module 'clamscan' {
  import type { Socket } from 'node:net';
  import type { Readable } from 'node:stream';

  interface ClamdscanOptions {
    host?: string;
    port?: number;
    socket?: string | false;
    timeout?: number;
    localFallback?: boolean;
    bypassTest?: boolean;
    active?: boolean;
  }

  interface InitOptions {
    removeInfected?: boolean;
    quarantineInfected?: boolean | string;
    debugMode?: boolean;
    clamdscan?: ClamdscanOptions;
    preference?: 'clamscan' | 'clamdscan';
  }

  interface ScanResult {
    isInfected: boolean | null;
    viruses?: string[];
    resultString?: string;
    timeout?: boolean;
  }

  class NodeClam {
    init(options?: InitOptions): Promise<NodeClam>;
    scanStream(stream: Readable): Promise<ScanResult>;
    /** Resolves with the open socket once clamd answered PONG. */
    ping(): Promise<Socket>;
    /** Internal, but stable across 2.x: opens the socket every daemon call uses. */
    _initSocket(label?: string): Promise<Socket>;
  }

  export = NodeClam;
}
