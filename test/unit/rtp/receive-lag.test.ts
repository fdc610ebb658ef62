import { describe, expect, it } from 'vitest';
import { ReceiveLagGauge } from '../../../src/ingest/rtp/receive-lag.js';

describe('ReceiveLagGauge', () => {
  it('is the time since the last tick while ticks are regular', () => {
    let now = 1_000;
    const gauge = new ReceiveLagGauge(() => now, 10);
    for (let i = 0; i < 5; i++) {
      now += 10;
      gauge.tick();
    }
    now += 4;
    expect(gauge.lagMs()).toBe(10); // the last 10 ms gap is still remembered for 10 ms
    now += 7;
    expect(gauge.lagMs()).toBe(11);
  });

  it('grows during a stall and remembers it for as long again after it ends', () => {
    let now = 1_000;
    const gauge = new ReceiveLagGauge(() => now, 10);
    gauge.tick();
    now += 3_000; // the event loop was away for 3 s
    expect(gauge.lagMs()).toBe(3_000);
    gauge.tick(); // back: the backlog is still draining
    const tickFor = (ms: number) => {
      for (let t = 0; t < ms; t += 10) {
        now += 10;
        gauge.tick();
      }
    };
    tickFor(1_000);
    expect(gauge.lagMs()).toBe(3_000);
    tickFor(2_010); // 3 s after the stall ended, it no longer counts
    expect(gauge.lagMs()).toBe(10);
  });

  it('adds up stalls that follow each other while the first is still remembered', () => {
    let now = 1_000;
    const gauge = new ReceiveLagGauge(() => now, 10);
    gauge.tick();
    const stall = (ms: number) => {
      now += ms;
      gauge.tick();
    };
    const tickFor = (ms: number) => {
      for (let t = 0; t < ms; t += 10) stall(10);
    };
    stall(800);
    tickFor(100);
    stall(700);
    tickFor(100);
    expect(gauge.lagMs()).toBe(1_500);
    tickFor(1_500); // 1.5 s after the last one ended, the run of stalls no longer counts
    expect(gauge.lagMs()).toBe(10);
    stall(300); // a lone stall later starts a new run
    expect(gauge.lagMs()).toBe(300);
  });

  it('runs its own unreferenced timer', async () => {
    const gauge = new ReceiveLagGauge(Date.now, 5).start();
    await new Promise((r) => setTimeout(r, 50));
    expect(gauge.lagMs()).toBeLessThan(40);
    gauge.stop();
  });
});
