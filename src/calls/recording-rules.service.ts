import type { Clock } from '../clock.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Call } from './call.js';
import { ruleMatches, type RecordingRule, type RecordingSettings, type RuleAction, type RuleMatch } from './recording-rule.js';
import type { RecordingRuleRepository } from './recording-rule.repo.js';
import type { RecordingDecision, RecordingPolicy } from './recording-policy.js';

export interface RuleInput {
  name?: string;
  priority?: number;
  enabled?: boolean;
  match?: RuleMatch;
  action?: RuleAction;
}

/**
 * Automatic recording: an account's rules (first match by priority decides) and its
 * default for calls no rule matches. It is the RecordingPolicy live calls consult; rules
 * are cached per account for a few seconds, and changes made here apply at once.
 */
export class RecordingRulesService implements RecordingPolicy {
  private readonly cache = new Map<string, { rules: RecordingRule[]; settings: RecordingSettings; until: number }>();

  constructor(
    private readonly repo: RecordingRuleRepository,
    private readonly clock: Clock,
    private readonly cacheMs = 5000,
  ) {}

  async decide(call: Call): Promise<RecordingDecision> {
    const { rules, settings } = await this.load(call.accountId);
    const rule = rules.find((r) => ruleMatches(r, call));
    if (rule) {
      if (!rule.action.record) return { record: false };
      return { record: true, channels: rule.action.channels ?? settings.channels, track: rule.action.track ?? 'both', transcribe: rule.action.transcribe ?? settings.transcribe, ruleId: rule.id };
    }
    if (settings.default === 'none') return { record: false };
    return { record: true, channels: settings.channels, track: 'both', transcribe: settings.transcribe };
  }

  async create(accountId: string, input: RuleInput & { match: RuleMatch; action: RuleAction }): Promise<RecordingRule> {
    const now = this.clock.now();
    const existing = await this.repo.list(accountId);
    const rule: RecordingRule = {
      id: newId('RR', now.getTime()),
      accountId,
      name: input.name?.trim() || 'rule',
      // Appended after the others unless a priority is given.
      priority: input.priority ?? (existing.length ? Math.max(...existing.map((r) => r.priority)) + 10 : 10),
      enabled: input.enabled ?? true,
      match: input.match,
      action: input.action,
      createdAt: now,
      updatedAt: now,
    };
    await this.repo.insert(rule);
    this.cache.delete(accountId);
    return rule;
  }

  async get(accountId: string, id: string): Promise<RecordingRule> {
    const rule = await this.repo.findById(accountId, id);
    if (!rule) throw notFound('recording_rule_not_found', `recording rule ${id} not found`);
    return rule;
  }

  list(accountId: string): Promise<RecordingRule[]> {
    return this.repo.list(accountId);
  }

  async update(accountId: string, id: string, input: RuleInput): Promise<RecordingRule> {
    const rule = await this.get(accountId, id);
    if (input.name !== undefined) rule.name = input.name.trim() || rule.name;
    if (input.priority !== undefined) rule.priority = input.priority;
    if (input.enabled !== undefined) rule.enabled = input.enabled;
    if (input.match !== undefined) rule.match = input.match;
    if (input.action !== undefined) rule.action = input.action;
    rule.updatedAt = this.clock.now();
    await this.repo.update(rule);
    this.cache.delete(accountId);
    return rule;
  }

  async delete(accountId: string, id: string): Promise<void> {
    if (!(await this.repo.delete(accountId, id))) throw notFound('recording_rule_not_found', `recording rule ${id} not found`);
    this.cache.delete(accountId);
  }

  getSettings(accountId: string): Promise<RecordingSettings> {
    return this.repo.getSettings(accountId);
  }

  async setSettings(accountId: string, settings: RecordingSettings): Promise<RecordingSettings> {
    await this.repo.setSettings(accountId, settings);
    this.cache.delete(accountId);
    return settings;
  }

  private async load(accountId: string) {
    const now = Date.now();
    const cached = this.cache.get(accountId);
    if (cached && cached.until > now) return cached;
    const entry = { rules: await this.repo.list(accountId), settings: await this.repo.getSettings(accountId), until: now + this.cacheMs };
    this.cache.set(accountId, entry);
    return entry;
  }
}
