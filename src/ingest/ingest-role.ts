import type { AppContext } from '../wiring.js';
import { PortAllocator } from './rtp/port-allocator.js';
import { SiprecServer } from './siprec/siprec-server.js';

/** The running ingest role: the SIPREC server and its RTP ports. */
export interface IngestRole {
  siprec: SiprecServer;
  sipPorts: { udp?: number; tcp?: number };
  stop(): Promise<void>;
}

/**
 * Starts the ingest role: first recovers recordings a crash left in the spool, then
 * opens the SIPREC server on SIP_PORT (UDP and TCP).
 */
export async function startIngest(ctx: AppContext): Promise<IngestRole> {
  const { config, log } = ctx;
  const { calls } = await ctx.liveRecordings.recover();
  // Calls whose recordings a crash interrupted ended with the crash.
  for (const c of calls) await ctx.calls.endIfLive(c.accountId, c.callId);
  const siprec = new SiprecServer({
    host: config.sipHost,
    port: config.sipPort,
    advertisedAddress: config.sipAdvertisedAddress,
    rtpTimeoutMs: config.rtpTimeoutSeconds * 1000,
    rtpHoldTimeoutMs: config.rtpHoldTimeoutSeconds * 1000,
    gate: ctx.trunkGate,
    liveCalls: ctx.liveCalls,
    ports: new PortAllocator(config.rtpPortMin, config.rtpPortMax),
    log,
  });
  await siprec.start();
  // This process holds live calls: it answers on-demand starts and pause/resume/stop for them.
  await ctx.bus.serve(ctx.control.handle);
  return {
    siprec,
    sipPorts: siprec.ports,
    stop: () => siprec.stop(),
  };
}
