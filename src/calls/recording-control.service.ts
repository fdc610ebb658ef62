import { DomainError, notFound } from '../errors.js';
import type { LiveRecordingsService } from '../recorder/live-recordings.service.js';
import type { PauseBehavior } from '../recorder/recording-tap.js';
import type { Recording } from '../recordings/recording.js';
import type { RecordingRepository } from '../recordings/recording.repo.js';
import type { CallRepository } from './call.repo.js';
import type { ControlBus, ControlCommand, ControlReply, OnDemandOptions } from './control-bus.js';
import type { LiveCallsService } from './live-calls.service.js';

/** The control actions of `POST /recordings/{id}`. */
export type ControlAction = { status: 'paused'; pauseBehavior: PauseBehavior } | { status: 'in-progress' } | { status: 'stopped' };

/**
 * On-demand recording and control of live recordings. The API side checks what it can
 * in the database (unknown call 404, ended call 409, finished recording 409) and sends a
 * command over the control bus; the process holding the call's media carries it out.
 */
export class RecordingControlService {
  constructor(
    private readonly deps: { bus: ControlBus; calls: CallRepository; repo: RecordingRepository; liveCalls: LiveCallsService; liveRecordings: LiveRecordingsService; usage: { assertWithinQuota(accountId: string): Promise<void> } },
  ) {}

  /** Starts an on-demand recording of a live call; returns it `in-progress`. */
  async startOnDemand(accountId: string, callId: string, options: OnDemandOptions): Promise<Recording> {
    const call = await this.deps.calls.findByCallId(accountId, callId);
    if (!call) throw notFound('call_not_found', `call ${callId} not found`);
    if (call.status !== 'in-progress') throw new DomainError('conflict', 'call_ended', `call ${callId} has ended; only live calls can be recorded`);
    await this.deps.usage.assertWithinQuota(accountId);
    const reply = await this.deps.bus.request({ kind: 'start', accountId, callId, options });
    if (!reply.handled || !reply.recordingId) return this.unreachable(accountId, callId);
    const recording = await this.deps.repo.findById(accountId, reply.recordingId);
    if (!recording) throw new DomainError('unavailable', 'recording_unavailable', 'the recording was started but cannot be read yet; retry');
    return recording;
  }

  /** Pauses, resumes or stops a live recording; returns its current state. */
  async control(accountId: string, recordingId: string, action: ControlAction): Promise<Recording> {
    const recording = await this.deps.repo.findById(accountId, recordingId);
    if (!recording) throw notFound('recording_not_found', `recording ${recordingId} not found`);
    if (recording.status !== 'in-progress' || recording.source === 'upload' || recording.media.wav) {
      throw new DomainError('conflict', 'recording_not_live', `recording ${recordingId} is not being recorded (status ${recording.status})`);
    }
    const command: ControlCommand =
      action.status === 'paused'
        ? { kind: 'pause', accountId, recordingId, pauseBehavior: action.pauseBehavior }
        : { kind: action.status === 'stopped' ? 'stop' : 'resume', accountId, recordingId };
    const reply = await this.deps.bus.request(command);
    if (!reply.handled) throw new DomainError('conflict', 'recording_not_live', `recording ${recordingId} is no longer being recorded`);
    return (await this.deps.repo.findById(accountId, recordingId)) ?? recording;
  }

  /** The ingest side: carries out a command if this process holds the call or recording. */
  readonly handle = async (command: ControlCommand): Promise<ControlReply> => {
    const { liveCalls, liveRecordings } = this.deps;
    if (command.kind === 'start') {
      const handle = liveCalls.find(command.accountId, command.callId);
      if (!handle) return { handled: false };
      const { recording } = await liveRecordings.start(handle.media, {
        source: 'on-demand',
        channels: command.options.channels,
        track: command.options.track,
        channelMap: handle.channelMap,
        transcribe: command.options.transcribe,
        statusCallback: command.options.statusCallback,
        maxDurationSeconds: command.options.maxDurationSeconds,
      });
      return { handled: true, recordingId: recording.id };
    }
    if (!liveRecordings.isLive(command.recordingId)) return { handled: false };
    if (command.kind === 'pause') await liveRecordings.pause(command.recordingId, command.pauseBehavior);
    else if (command.kind === 'resume') await liveRecordings.resume(command.recordingId);
    // Storing a long recording takes a while; the caller sees in-progress until it is completed.
    else void liveRecordings.stop(command.recordingId);
    return { handled: true, recordingId: command.recordingId };
  };

  private async unreachable(accountId: string, callId: string): Promise<never> {
    const call = await this.deps.calls.findByCallId(accountId, callId);
    if (call?.status !== 'in-progress') throw new DomainError('conflict', 'call_ended', `call ${callId} has ended; only live calls can be recorded`);
    throw new DomainError('unavailable', 'call_unreachable', `no ingest process answered for call ${callId}; retry`);
  }
}
