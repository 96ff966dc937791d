// clamscan ships no types; this covers the part Intake uses (PING and VERSION; INSTREAM is ours).
declare module 'clamscan' {
  import type { Socket } from 'node:net';

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

  class NodeClam {
    init(options?: InitOptions): Promise<NodeClam>;
    /** Resolves with the open socket once clamd answered PONG. */
    ping(): Promise<Socket>;
    /** clamd's answer to VERSION, e.g. "ClamAV 1.4.6/27831/Mon Nov 30 08:00:00 2026\n". */
    getVersion(): Promise<string>;
  }

  export = NodeClam;
}
