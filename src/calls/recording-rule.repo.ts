import type { RecordingRule, RecordingSettings } from './recording-rule.js';

/** Persistence of recording rules and account recording settings. */
export interface RecordingRuleRepository {
  insert(rule: RecordingRule): Promise<void>;
  update(rule: RecordingRule): Promise<void>;
  findById(accountId: string, id: string): Promise<RecordingRule | null>;
  /** All rules of an account, by priority then creation. */
  list(accountId: string): Promise<RecordingRule[]>;
  delete(accountId: string, id: string): Promise<boolean>;
  getSettings(accountId: string): Promise<RecordingSettings>;
  setSettings(accountId: string, settings: RecordingSettings): Promise<void>;
}
