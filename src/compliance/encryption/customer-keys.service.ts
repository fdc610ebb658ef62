import type { Clock } from '../../clock.js';
import { DomainError, notFound } from '../../errors.js';
import { CUSTOMER_KEY_WRAP, parseCustomerPublicKey } from './customer-key.js';
import type { CustomerKeyRepository } from './envelope.js';

/** An account's registered public key, as the API shows it. */
export interface CustomerKeyInfo {
  publicKeyPem: string;
  fingerprint: string;
  bits: number;
  keyWrap: string;
  setAt: Date;
}

/** `/encryption-key`: an account's own RSA public key, under which its new media's data keys are wrapped. */
export class CustomerKeysService {
  constructor(
    private readonly deps: {
      repo: CustomerKeyRepository;
      clock: Clock;
      /** Encryption at rest is configured; without it there is nothing to wrap. */
      enabled: boolean;
    },
  ) {}

  /** The account's key; 404 when it has none. */
  async get(accountId: string): Promise<CustomerKeyInfo> {
    const stored = await this.deps.repo.get(accountId);
    if (!stored) throw notFound('encryption_key_not_found', 'this account has no encryption key; media is encrypted with the service key only');
    const key = parseCustomerPublicKey(stored.pem);
    return { publicKeyPem: key.pem, fingerprint: key.fingerprint, bits: key.bits, keyWrap: CUSTOMER_KEY_WRAP, setAt: stored.setAt };
  }

  /** Validates and sets (or replaces) the key; applies to media stored from now on. */
  async set(accountId: string, pem: string): Promise<CustomerKeyInfo> {
    if (!this.deps.enabled) {
      throw new DomainError('conflict', 'encryption_not_enabled', 'encryption at rest is not enabled on this server (ENCRYPTION_MASTER_KEYS), so there is nothing to wrap under this key');
    }
    const key = parseCustomerPublicKey(pem);
    const setAt = this.deps.clock.now();
    if (!(await this.deps.repo.set(accountId, { pem: key.pem, setAt }))) throw notFound('account_not_found', `no account ${accountId}`);
    return { publicKeyPem: key.pem, fingerprint: key.fingerprint, bits: key.bits, keyWrap: CUSTOMER_KEY_WRAP, setAt };
  }

  /** Removes the key: media stored afterwards is readable by the service again; media sealed before stays sealed. */
  async delete(accountId: string): Promise<void> {
    if (!(await this.deps.repo.get(accountId))) throw notFound('encryption_key_not_found', 'this account has no encryption key');
    await this.deps.repo.set(accountId, null);
  }
}
