import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import Busboy from 'busboy';
import { DomainError } from '../errors.js';

/** Content types accepted as a raw audio body; the bytes decide the actual format. */
export const AUDIO_CONTENT_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave', 'audio/mpeg', 'audio/mp3', 'audio/mpeg3', 'audio/x-mpeg-3', 'application/octet-stream'];

/** Registers body parsers for uploads in this scope: raw audio as a Buffer, multipart as the raw stream. */
export function registerUploadParsers(app: FastifyInstance, maxBytes: number): void {
  app.addContentTypeParser(AUDIO_CONTENT_TYPES, { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('multipart/form-data', (_req, payload, done) => done(null, payload));
}

/** The audio and fields of an upload, whichever way it was sent. */
export interface UploadBody {
  audio: Buffer;
  fields: Record<string, string>;
}

function readMultipart(request: FastifyRequest, stream: Readable, maxBytes: number): Promise<UploadBody> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let audio: Buffer | undefined;
    let failed = false;
    const fail = (err: DomainError) => {
      if (failed) return;
      failed = true;
      stream.unpipe();
      stream.resume();
      reject(err);
    };
    let parser: Busboy.Busboy;
    try {
      parser = Busboy({ headers: request.headers, limits: { fileSize: maxBytes, files: 1, fields: 20, fieldSize: 4096 } });
    } catch (err) {
      return reject(new DomainError('invalid', 'invalid_multipart', `multipart body is malformed: ${(err as Error).message}`));
    }
    parser.on('file', (name, file) => {
      if (name !== 'file') {
        file.resume();
        return;
      }
      const chunks: Buffer[] = [];
      file.on('data', (chunk: Buffer) => chunks.push(chunk));
      file.on('limit', () => fail(new DomainError('too_large', 'body_too_large', `the file is larger than the ${maxBytes}-byte limit`)));
      file.on('end', () => {
        audio = Buffer.concat(chunks);
      });
    });
    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('error', (err: Error) => fail(new DomainError('invalid', 'invalid_multipart', `multipart body is malformed: ${err.message}`)));
    parser.on('close', () => {
      if (failed) return;
      if (!audio) return fail(new DomainError('invalid', 'missing_file', 'multipart upload needs a "file" part holding the audio'));
      resolve({ audio, fields });
    });
    stream.pipe(parser);
  });
}

/** Extracts the upload from a request: raw audio body or multipart/form-data with a `file` part. */
export async function readUploadBody(request: FastifyRequest, maxBytes: number): Promise<UploadBody> {
  const body = request.body as unknown;
  if (Buffer.isBuffer(body)) return { audio: body, fields: {} };
  if (body && typeof (body as Readable).pipe === 'function') return readMultipart(request, body as Readable, maxBytes);
  if (body === undefined || body === null) {
    if (!request.headers['content-type']) {
      throw new DomainError('unsupported_media_type', 'unsupported_media_type', 'send the audio with Content-Type audio/wav or audio/mpeg, or as multipart/form-data');
    }
    return { audio: Buffer.alloc(0), fields: {} };
  }
  throw new DomainError('unsupported_media_type', 'unsupported_media_type', `Content-Type ${request.headers['content-type']} is not accepted; use audio/wav, audio/mpeg or multipart/form-data`);
}
