import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';

/** Base path of the versioned API, as in the seed contract's server URL. */
export const API_PREFIX = '/v1/recordings';

/**
 * Registers document generation from route schemas. Shared schemas keep their `$id`
 * as the component name, so `#/components/schemas/Recording` matches the seed.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Telefonie Call Recording API',
        description:
          'Record, store, and retrieve call recordings. Supports dual-channel recording, transcription, compliance archiving, and secure download URLs. A superset of the published seed contract.',
        version: 'v1',
      },
      servers: [{ url: API_PREFIX, description: 'This server (relative to its host)' }],
      components: { securitySchemes: { ApiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
      security: [{ ApiKeyAuth: [] }],
      tags: [
        { name: 'Recordings', description: 'Manage call recordings' },
        { name: 'Media', description: 'Signed media downloads' },
        { name: 'Transcription', description: 'Transcripts of recordings: both channels, speaker labels, word timings, redaction; text, WebVTT and SRT' },
        { name: 'SIP trunks', description: 'SIPREC clients allowed to record into the account' },
        { name: 'Retention', description: 'Retention policies and their sweep' },
        { name: 'Legal holds', description: 'Recordings that must not be deleted' },
        { name: 'Usage', description: 'Usage, price and quotas' },
        { name: 'Audit', description: 'The tamper-evident audit trail' },
        { name: 'Streams', description: 'WebSocket media streams (GET /v1/recordings/streams, not described here: see the README) and their tokens' },
        { name: 'Calls', description: 'Live and recent calls; on-demand recording' },
        { name: 'Recording rules', description: 'Automatic recording: rules and the account default' },
        { name: 'Webhooks', description: 'Signed event notifications: endpoints, the status-callback secret, the delivery log' },
        { name: 'Encryption', description: "Encryption at rest: the account's own public key" },
      ],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
}

/**
 * The document as committed in `openapi/openapi.json`. @fastify/swagger already writes
 * paths relative to the server URL (`/recordings`, not `/v1/recordings/recordings`), as the seed does.
 */
export function openApiDocument(app: FastifyInstance): Record<string, any> {
  return structuredClone(app.swagger()) as Record<string, any>;
}
