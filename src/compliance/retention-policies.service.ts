import type { Clock } from '../clock.js';
import { DomainError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { PolicyMatch, RetentionPolicy } from './retention-policy.js';
import type { RetentionRepository } from './retention.repo.js';

export interface PolicyInput {
  name?: string;
  priority?: number;
  isDefault?: boolean;
  match?: PolicyMatch;
  archiveAfterDays?: number | null;
  deleteMediaAfterDays?: number | null;
  deleteAfterDays?: number | null;
}

function check(p: RetentionPolicy): void {
  const days = [p.archiveAfterDays, p.deleteMediaAfterDays, p.deleteAfterDays];
  if (days.every((d) => d === null)) {
    throw new DomainError('invalid', 'policy_without_action', 'a policy needs archive_after_days, delete_media_after_days or delete_after_days');
  }
  if (p.archiveAfterDays !== null && p.deleteAfterDays !== null && p.deleteAfterDays < p.archiveAfterDays) {
    throw new DomainError('invalid', 'policy_out_of_order', 'delete_after_days must not come before archive_after_days');
  }
}

/** CRUD of retention policies; at most one default policy per account. */
export class RetentionPoliciesService {
  constructor(
    private readonly repo: RetentionRepository,
    private readonly clock: Clock,
  ) {}

  async create(accountId: string, input: PolicyInput): Promise<RetentionPolicy> {
    const now = this.clock.now();
    const existing = await this.repo.listPolicies(accountId);
    const policy: RetentionPolicy = {
      id: newId('RP', now.getTime()),
      accountId,
      name: input.name?.trim() || (input.isDefault ? 'default' : 'policy'),
      priority: input.priority ?? (existing.length ? Math.max(...existing.map((p) => p.priority)) + 10 : 10),
      isDefault: input.isDefault ?? false,
      match: input.isDefault ? {} : (input.match ?? {}),
      archiveAfterDays: input.archiveAfterDays ?? null,
      deleteMediaAfterDays: input.deleteMediaAfterDays ?? null,
      deleteAfterDays: input.deleteAfterDays ?? null,
      createdAt: now,
      updatedAt: now,
    };
    check(policy);
    if (policy.isDefault && existing.some((p) => p.isDefault)) {
      throw new DomainError('conflict', 'default_policy_exists', 'the account already has a default retention policy; change that one');
    }
    await this.repo.insertPolicy(policy);
    return policy;
  }

  async get(accountId: string, id: string): Promise<RetentionPolicy> {
    const policy = await this.repo.findPolicy(accountId, id);
    if (!policy) throw notFound('retention_policy_not_found', `retention policy ${id} not found`);
    return policy;
  }

  list(accountId: string): Promise<RetentionPolicy[]> {
    return this.repo.listPolicies(accountId);
  }

  async update(accountId: string, id: string, input: PolicyInput): Promise<RetentionPolicy> {
    const policy = await this.get(accountId, id);
    if (input.name !== undefined) policy.name = input.name.trim() || policy.name;
    if (input.priority !== undefined) policy.priority = input.priority;
    if (input.match !== undefined && !policy.isDefault) policy.match = input.match;
    if (input.archiveAfterDays !== undefined) policy.archiveAfterDays = input.archiveAfterDays;
    if (input.deleteMediaAfterDays !== undefined) policy.deleteMediaAfterDays = input.deleteMediaAfterDays;
    if (input.deleteAfterDays !== undefined) policy.deleteAfterDays = input.deleteAfterDays;
    check(policy);
    policy.updatedAt = this.clock.now();
    await this.repo.updatePolicy(policy);
    return policy;
  }

  async delete(accountId: string, id: string): Promise<void> {
    if (!(await this.repo.deletePolicy(accountId, id))) throw notFound('retention_policy_not_found', `retention policy ${id} not found`);
  }
}
