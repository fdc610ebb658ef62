import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { allMediaKeys, type Recording } from '../recordings/recording.js';
import type { RecordingRepository } from '../recordings/recording.repo.js';
import type { RecordingEventSink } from '../recordings/recording-events.js';
import type { RecordingsService } from '../recordings/recordings.service.js';
import type { MediaStores } from '../storage/blob/media-stores.js';
import { governingPolicy, minimumAgeDays, planAction, type PlannedAction, type RetentionPolicy } from './retention-policy.js';
import type { RetentionRepository } from './retention.repo.js';
import { inParallel } from '../concurrency.js';

export interface SweepReport {
  runId: string;
  archived: number;
  mediaDeleted: number;
  deleted: number;
  errors: number;
  examined: number;
  /** Wall time of the run, ms. */
  durationMs: number;
}

/**
 * Applies retention policies. Selection is by state, not by a saved cursor: every run
 * looks at what is due now, and every action is a conditional state change (archive only
 * from standard, forget media once, delete only unheld rows), so a run killed mid-batch is
 * finished by the next one, with no recording skipped and none acted on twice.
 */
export class RetentionSweeper {
  constructor(
    private readonly deps: {
      retention: RetentionRepository;
      repo: RecordingRepository;
      recordings: RecordingsService;
      stores: MediaStores;
      events: RecordingEventSink;
      clock: Clock;
      log: Logger;
      batchSize: number;
      /** Called after each action (audit trail). */
      onAction?: (action: PlannedAction, recording: Recording) => Promise<void>;
    },
  ) {}

  /** What the policies would do now for one account, without doing it. */
  async preview(accountId: string, limit: number): Promise<{ actions: PlannedAction[]; truncated: boolean }> {
    const actions: PlannedAction[] = [];
    for await (const [policies, batch] of this.batches(accountId)) {
      for (const r of batch) {
        const policy = governingPolicy(policies, r);
        const planned = policy && planAction(policy, r, this.deps.clock.now());
        if (planned) actions.push(planned);
        if (actions.length > limit) return { actions: actions.slice(0, limit), truncated: true };
      }
    }
    return { actions, truncated: false };
  }

  /** One sweep over every account with policies. */
  async sweep(): Promise<SweepReport> {
    const now = this.deps.clock.now();
    const startedMs = performance.now();
    const report: SweepReport = { runId: newId('RN', now.getTime()), archived: 0, mediaDeleted: 0, deleted: 0, errors: 0, examined: 0, durationMs: 0 };
    await this.deps.retention.startRun(report.runId, now);
    for (const accountId of await this.deps.retention.accountsWithPolicies()) {
      await this.finishPendingFollowUps(accountId);
      for await (const [policies, batch] of this.batches(accountId)) {
        report.examined += batch.length;
        const due = batch
          .map((r) => {
            const policy = governingPolicy(policies, r);
            const planned = policy && planAction(policy, r, this.deps.clock.now());
            return planned ? { planned, recording: r } : null;
          })
          .filter((x): x is { planned: PlannedAction; recording: Recording } => x !== null);
        // Deletions go in one statement per batch; archive and media deletion copy or remove files one by one.
        const deletions = due.filter((d) => d.planned.action === 'delete');
        if (deletions.length) {
          try {
            const deleted = await this.deps.repo.deleteMany(accountId, deletions.map((d) => d.recording.id));
            report.deleted += deleted.length;
            const planned = new Map(deletions.map((d) => [d.recording.id, d]));
            // Events carry the recording as the candidate read saw it, moments ago; its files
            // (what removal must act on) as the delete saw them.
            const gone = deleted.map((d) => ({ ...planned.get(d.id)!.recording, storageClass: d.storageClass, media: d.media }));
            await this.deps.recordings.removeMediaOf(gone);
            await inParallel(gone, 32, async (r) => {
              await this.deps.events.publish('recording.deleted', r);
              await this.deps.onAction?.(planned.get(r.id)!.planned, r);
            });
          } catch (err) {
            report.errors += deletions.length;
            this.deps.log.error({ err, count: deletions.length }, 'retention deletions failed; the next sweep retries');
          }
        }
        await inParallel(due.filter((d) => d.planned.action !== 'delete'), 16, async ({ planned, recording }) => {
          try {
            if (await this.perform(planned, recording)) {
              if (planned.action === 'archive') report.archived++;
              else report.mediaDeleted++;
              await this.deps.onAction?.(planned, recording);
            }
          } catch (err) {
            report.errors++;
            this.deps.log.error({ err, recordingId: recording.id, action: planned.action }, 'retention action failed; the next sweep retries');
          }
        });
      }
    }
    report.durationMs = Math.round(performance.now() - startedMs);
    await this.deps.retention.finishRun(report.runId, this.deps.clock.now(), report);
    this.deps.log.info({ ...report }, 'retention sweep finished');
    return report;
  }

  /** Candidate recordings of an account in keyset batches, with the account's policies. */
  private async *batches(accountId: string): AsyncGenerator<[RetentionPolicy[], Recording[]]> {
    const policies = await this.deps.retention.listPolicies(accountId);
    const minDays = minimumAgeDays(policies);
    if (minDays === null) return;
    const createdBefore = new Date(this.deps.clock.now().getTime() - minDays * 86_400_000);
    const fetch = (after: { createdAt: string; id: string } | null) => this.deps.retention.candidates(accountId, createdBefore, after, this.deps.batchSize);
    let next = fetch(null);
    for (;;) {
      const batch = await next;
      if (batch.length === 0) return;
      // Read the next batch while this one is acted on: keyset order makes the two disjoint.
      const last = batch[batch.length - 1];
      next = fetch({ createdAt: last.dateCreated.toISOString(), id: last.id });
      // A consumer that stops early never awaits it; its failure must not go unhandled.
      next.catch(() => {});
      yield [policies, batch];
    }
  }

  /** Carries out an archive or media deletion; false when another run got there first. */
  private async perform(planned: PlannedAction, r: Recording): Promise<boolean> {
    const now = this.deps.clock.now();
    if (planned.action === 'delete_media') {
      const before = await this.deps.repo.clearMedia(r.id, now);
      if (!before) return false;
      await this.finishPending(before, 'media_deleted');
      return true;
    }
    // Archive: copy and verify first, then flip the tier, then remove the original.
    for (const media of Object.values(r.media)) {
      const stored = await this.deps.stores.archive.put(media!.key, await this.deps.stores.standard.get(media!.key));
      if (media!.sha256 && stored.sha256 !== media!.sha256) throw new Error(`archive copy of ${media!.key} does not match its recorded SHA-256`);
    }
    if (!(await this.deps.repo.markArchived(r.id, now))) return false;
    await this.finishPending({ ...r, storageClass: 'archive' }, 'archived');
    return true;
  }

  /**
   * The follow-up of a state change: remove the files the recording no longer uses there
   * (renditions and derived copies), announce it, clear the mark.
   * Idempotent: deleting absent files succeeds and the event has a stable dedupe key.
   */
  private async finishPending(r: Recording, pending: 'archived' | 'media_deleted'): Promise<void> {
    const store = pending === 'archived' ? this.deps.stores.standard : this.deps.stores.of(r.storageClass);
    await store.deleteMany(allMediaKeys(r.accountId, r.id));
    if (pending === 'archived') await this.deps.events.publish('recording.archived', r, { dedupeKey: `archived:${r.id}` });
    else await this.deps.events.publish('recording.media_deleted', { ...r, media: {} }, { dedupeKey: `media_deleted:${r.id}` });
    await this.deps.repo.clearRetentionPending(r.id);
  }

  /** Finishes follow-ups a killed run left pending. */
  private async finishPendingFollowUps(accountId: string): Promise<void> {
    for (;;) {
      const pending = await this.deps.repo.listRetentionPending(accountId, this.deps.batchSize);
      if (pending.length === 0) return;
      await inParallel(pending, 16, (p) => this.finishPending(p.recording, p.pending));
    }
  }
}
