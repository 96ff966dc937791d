import { fileTypeFromBuffer } from 'file-type';

/** How many leading bytes the sniffer needs to recognise every format it knows. */
export const SNIFF_BYTES = 4100;

/** The real type of a file from its magic bytes (file-type); undefined when nothing matched. */
export class TypeSniffer {
  async sniff(head: Buffer): Promise<string | undefined> {
    const result = await fileTypeFromBuffer(head);
    return result?.mime;
  }
}
