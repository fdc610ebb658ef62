import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { parseSource, type SipTrunk } from './trunk.js';
import type { TrunkRepository } from './trunk.repo.js';

/** Fields a client sets on a trunk. */
export interface TrunkInput {
  name?: string;
  requestUriUser?: string;
  allowedSources?: string[];
  digest?: { username: string; password: string } | null;
}

function validateSources(sources: string[]): string[] {
  if (sources.length === 0) throw new DomainError('invalid', 'invalid_source', 'allowed_sources needs at least one address or CIDR range (0.0.0.0/0 allows any IPv4 sender)');
  return sources.map((s) => {
    parseSource(s);
    return s.trim();
  });
}

/** CRUD of SIP trunks, scoped to an account; the user part is unique across all accounts. */
export class TrunksService {
  constructor(
    private readonly repo: TrunkRepository,
    private readonly clock: Clock,
    /** Told after any change, so cached admission rules are dropped. */
    private readonly onChange: () => void = () => {},
  ) {}

  async create(accountId: string, input: Required<Pick<TrunkInput, 'requestUriUser' | 'allowedSources'>> & TrunkInput): Promise<SipTrunk> {
    const now = this.clock.now();
    const trunk: SipTrunk = {
      id: newId('TK', now.getTime()),
      accountId,
      name: input.name?.trim() || input.requestUriUser,
      requestUriUser: input.requestUriUser,
      allowedSources: validateSources(input.allowedSources),
      digest: input.digest ?? null,
      createdAt: now,
      updatedAt: now,
    };
    await this.assertUserFree(trunk.requestUriUser);
    await this.repo.insert(trunk);
    this.onChange();
    return trunk;
  }

  async get(accountId: string, id: string): Promise<SipTrunk> {
    const trunk = await this.repo.findById(accountId, id);
    if (!trunk) throw notFound('sip_trunk_not_found', `SIP trunk ${id} not found`);
    return trunk;
  }

  list(accountId: string): Promise<SipTrunk[]> {
    return this.repo.list(accountId);
  }

  async update(accountId: string, id: string, input: TrunkInput): Promise<SipTrunk> {
    const trunk = await this.get(accountId, id);
    if (input.requestUriUser !== undefined && input.requestUriUser !== trunk.requestUriUser) {
      await this.assertUserFree(input.requestUriUser);
      trunk.requestUriUser = input.requestUriUser;
    }
    if (input.name !== undefined) trunk.name = input.name.trim() || trunk.requestUriUser;
    if (input.allowedSources !== undefined) trunk.allowedSources = validateSources(input.allowedSources);
    if (input.digest !== undefined) trunk.digest = input.digest;
    trunk.updatedAt = this.clock.now();
    await this.repo.update(trunk);
    this.onChange();
    return trunk;
  }

  async delete(accountId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(accountId, id))) throw notFound('sip_trunk_not_found', `SIP trunk ${id} not found`);
    this.onChange();
  }

  private async assertUserFree(user: string): Promise<void> {
    if (await this.repo.findByRequestUriUser(user)) {
      throw new DomainError('conflict', 'request_uri_user_taken', `the Request-URI user "${user}" is already used by another trunk`);
    }
  }
}
