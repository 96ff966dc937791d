import type { Response } from 'express';
import { errors } from '../common/errors';
import type { Upload } from '../database/entities/upload.entity';
import type { UploadStore } from '../uploads/upload-store';
import type { OutputLinks } from './output-links';

/**
 * What every API-served output checks first: a signature this API made for exactly `path`, not
 * expired (403 INVALID_LINK), and an upload that is ready (404 otherwise).
 */
export async function readyUploadFor(
  uploads: UploadStore,
  links: OutputLinks,
  request: { id: string; path: string; expires: unknown; signature: unknown },
): Promise<Upload> {
  if (!links.signer.verify(request.path, request.expires, request.signature)) throw errors.invalidLink();
  const upload = await uploads.findById(request.id);
  if (upload?.status !== 'ready') throw errors.uploadNotFound();
  return upload;
}

/** A served output's body: readable from any origin (the signature is the credential), cached briefly. */
export function sendServed(res: Response, contentType: string, body: string): void {
  res.status(200).set({ 'content-type': contentType, 'cache-control': 'private, max-age=60', 'access-control-allow-origin': '*' }).send(body);
}
