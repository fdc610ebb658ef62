import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { CustomerKeyInfo, CustomerKeysService } from '../compliance/encryption/customer-keys.service.js';
import { principalOf, requireApiKey } from './auth.js';
import { problemResponses } from './common.schemas.js';
import { EncryptionKeySchema, SetEncryptionKeyBody, type EncryptionKeyView } from './encryption-key.schemas.js';

function view(k: CustomerKeyInfo): EncryptionKeyView {
  return { public_key_pem: k.publicKeyPem, fingerprint: k.fingerprint, key_size: k.bits, key_wrap: k.keyWrap, date_set: k.setAt.toISOString() };
}

/** `/encryption-key`: the account's own RSA public key for encryption at rest. */
export async function encryptionKeyRoutes(app: FastifyInstance, deps: { accounts: AccountsService; keys: CustomerKeysService }): Promise<void> {
  requireApiKey(app, deps.accounts);
  const common = { tags: ['Encryption'], security: [{ ApiKeyAuth: [] }] };

  app.put<{ Body: Static<typeof SetEncryptionKeyBody> }>(
    '/encryption-key',
    {
      schema: {
        ...common,
        operationId: 'setEncryptionKey',
        summary: "Set the account's encryption public key",
        description:
          'Media stored from now on has its data key wrapped with RSA-OAEP-SHA256 under this key. Once a recording is processed the service drops its own copy: ' +
          'downloads then return the ciphertext (application/octet-stream) and the recording carries `encryption_details`. 409 when encryption at rest is not enabled.',
        body: SetEncryptionKeyBody,
        response: { 200: Type.Ref(EncryptionKeySchema), ...problemResponses(400, 401, 409) },
      },
    },
    async (request) => view(await deps.keys.set(principalOf(request).accountId, request.body.public_key_pem)),
  );

  app.get(
    '/encryption-key',
    { schema: { ...common, operationId: 'getEncryptionKey', summary: "The account's encryption public key", response: { 200: Type.Ref(EncryptionKeySchema), ...problemResponses(401, 404) } } },
    async (request) => view(await deps.keys.get(principalOf(request).accountId)),
  );

  app.delete(
    '/encryption-key',
    {
      schema: {
        ...common,
        operationId: 'deleteEncryptionKey',
        summary: "Remove the account's encryption public key",
        description: 'Media stored afterwards is encrypted with the service key only; media sealed before stays sealed.',
        response: { 204: { description: 'Removed', type: 'null' }, ...problemResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await deps.keys.delete(principalOf(request).accountId);
      return reply.code(204).send();
    },
  );
}
