import type { PauseBehavior, Track } from '../recorder/recording-tap.js';

/** Options of an on-demand recording start. */
export interface OnDemandOptions {
  channels: 1 | 2;
  track: Track;
  maxDurationSeconds?: number;
  transcribe?: boolean;
  statusCallback?: string;
}

/** A command for whichever process holds a live call's media. */
export type ControlCommand =
  | { kind: 'start'; accountId: string; callId: string; options: OnDemandOptions }
  | { kind: 'pause'; accountId: string; recordingId: string; pauseBehavior: PauseBehavior }
  | { kind: 'resume' | 'stop'; accountId: string; recordingId: string };

/** `handled: false` means the process does not hold that call or recording. */
export type ControlReply = { handled: true; recordingId?: string } | { handled: false };

export type ControlHandler = (command: ControlCommand) => Promise<ControlReply>;

/**
 * Carries control commands from API processes to the ingest process that holds a
 * call: in-process in embedded mode, PostgreSQL LISTEN/NOTIFY at scale. Only the holder
 * answers; nobody answering within the timeout means nobody holds it.
 */
export interface ControlBus {
  request(command: ControlCommand, timeoutMs?: number): Promise<ControlReply>;
  /** Registers this process's handler (ingest role). */
  serve(handler: ControlHandler): Promise<void>;
  close(): Promise<void>;
}

/** The bus for one process: handlers are called directly. */
export class LocalControlBus implements ControlBus {
  private readonly handlers: ControlHandler[] = [];

  async request(command: ControlCommand): Promise<ControlReply> {
    for (const handler of this.handlers) {
      const reply = await handler(command);
      if (reply.handled) return reply;
    }
    return { handled: false };
  }

  async serve(handler: ControlHandler): Promise<void> {
    this.handlers.push(handler);
  }

  async close(): Promise<void> {}
}
