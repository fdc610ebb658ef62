import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames } from '../helpers/backends.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { buildOffer, SiprecClient } from '../helpers/siprec-client.js';
import { inSlots, packetize } from '../helpers/rtp-sender.js';
import { sendMedia } from '../helpers/rtp-source.js';
import { channelsOf, noise, readPcmWav } from '../helpers/audio.js';
import { download, waitForRecording } from '../helpers/recordings.js';
import { closeServer, findExact, PACKET, postTrunk, recordingOfCall, recordingsOfCall, storedState, twoParties, uniqueCallId } from '../helpers/siprec-harness.js';
import { mulawDecode, mulawEncode } from '../../src/media/g711.js';
import { getHeader } from '../../src/ingest/sip/index.js';

const json = { 'content-type': 'application/json' };
const user = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

describe.each(backendNames())('SIP trunks on %s', (backend) => {
  let server: TestServer;
  let sip: { host: string; udp: number; tcp: number };
  let otherKey: string;

  beforeAll(async () => {
    server = await startTestServer(backend, { env: { RTP_TIMEOUT: '5' } });
    const ports = server.app.ingest!.sipPorts;
    sip = { host: '127.0.0.1', udp: ports.udp!, tcp: ports.tcp! };
    otherKey = (await server.app.accounts.createAccount('other')).apiKey;
  });
  afterAll(() => closeServer(server));

  describe('API', () => {
    it('creates, lists, reads, changes and deletes a trunk, never returning the digest password', async () => {
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const u = user('crud');
      const created = await postTrunk(server, { name: 'Main SBC', request_uri_user: u, allowed_sources: ['192.0.2.0/24', '198.51.100.7'], digest: { username: 'sbc', password } });
      expect(created.status).toBe(201);
      const createdText = await created.text();
      expect(createdText).not.toContain(password);
      const trunk = JSON.parse(createdText);
      expect(trunk).toMatchObject({ account_id: server.account.accountId, name: 'Main SBC', request_uri_user: u, allowed_sources: ['192.0.2.0/24', '198.51.100.7'], digest_username: 'sbc' });
      expect(trunk.id).toMatch(/^TK/);
      expect(JSON.stringify(trunk)).not.toMatch(/password/i);
      expect(Date.parse(trunk.date_created)).not.toBeNaN();

      const list = await server.api('/sip-trunks');
      expect(list.status).toBe(200);
      const listText = await list.text();
      expect(listText).not.toContain(password);
      expect(JSON.parse(listText).sip_trunks).toContainEqual(trunk);

      const one = await server.api(`/sip-trunks/${trunk.id}`);
      expect(one.status).toBe(200);
      const oneText = await one.text();
      expect(oneText).not.toContain(password);
      expect(JSON.parse(oneText)).toEqual(trunk);

      const patched = await server.api(`/sip-trunks/${trunk.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ name: 'Backup SBC', allowed_sources: ['10.0.0.0/8'] }) });
      expect(patched.status).toBe(200);
      const patchedText = await patched.text();
      expect(patchedText).not.toContain(password);
      const after = JSON.parse(patchedText);
      expect(after).toMatchObject({ id: trunk.id, name: 'Backup SBC', request_uri_user: u, allowed_sources: ['10.0.0.0/8'], digest_username: 'sbc', date_created: trunk.date_created });
      expect(Date.parse(after.date_updated)).toBeGreaterThanOrEqual(Date.parse(trunk.date_updated));
      expect(await (await server.api(`/sip-trunks/${trunk.id}`)).json()).toEqual(after);

      // A new password is write-only too; removing digest removes digest_username.
      const newPassword = `np-${randomBytes(8).toString('hex')}`;
      const rekeyed = await server.api(`/sip-trunks/${trunk.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ digest: { username: 'sbc2', password: newPassword } }) });
      expect(rekeyed.status).toBe(200);
      const rekeyedText = await rekeyed.text();
      expect(rekeyedText).not.toContain(newPassword);
      expect(JSON.parse(rekeyedText).digest_username).toBe('sbc2');
      const noDigest = await (await server.api(`/sip-trunks/${trunk.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ digest: null }) })).json();
      expect(noDigest).not.toHaveProperty('digest_username');

      const deleted = await server.api(`/sip-trunks/${trunk.id}`, { method: 'DELETE' });
      expect(deleted.status).toBe(204);
      expect(await deleted.text()).toBe('');
      const gone = await server.api(`/sip-trunks/${trunk.id}`);
      expect(gone.status).toBe(404);
      expect((await gone.json()).code).toBe('sip_trunk_not_found');
      expect((await server.api(`/sip-trunks/${trunk.id}`, { method: 'DELETE' })).status).toBe(404);
      expect((await (await server.api('/sip-trunks')).json()).sip_trunks.map((t: any) => t.id)).not.toContain(trunk.id);
      // The user part is free again once its trunk is deleted.
      expect((await postTrunk(server, { request_uri_user: u, allowed_sources: ['127.0.0.1'] })).status).toBe(201);
    });

    it("hides a trunk from another account: 404 on read, change and delete, absent from its list", async () => {
      const created = await (await postTrunk(server, { request_uri_user: user('mine'), allowed_sources: ['127.0.0.1'] })).json();
      for (const [method, body] of [['GET'], ['PATCH', JSON.stringify({ name: 'stolen' })], ['DELETE']] as const) {
        const res = await server.api(`/sip-trunks/${created.id}`, { method, key: otherKey, ...(body ? { body, headers: json } : {}) });
        expect(res.status, method).toBe(404);
        expect((await res.json()).code).toBe('sip_trunk_not_found');
      }
      const otherList = await (await server.api('/sip-trunks', { key: otherKey })).json();
      expect(otherList.sip_trunks.map((t: any) => t.id)).not.toContain(created.id);
      // Untouched for its owner.
      expect(await (await server.api(`/sip-trunks/${created.id}`)).json()).toEqual(created);
      expect((await server.api('/sip-trunks', { key: null })).status).toBe(401);
    });

    it('refuses a Request-URI user already used by another trunk (409), in any account', async () => {
      const u = user('taken');
      const first = await (await postTrunk(server, { request_uri_user: u, allowed_sources: ['127.0.0.1'] })).json();
      const again = await postTrunk(server, { request_uri_user: u, allowed_sources: ['127.0.0.1'] });
      expect(again.status).toBe(409);
      expect((await again.json()).code).toBe('request_uri_user_taken');
      const fromOther = await postTrunk(server, { request_uri_user: u, allowed_sources: ['127.0.0.1'] }, otherKey);
      expect(fromOther.status).toBe(409);
      const second = await (await postTrunk(server, { request_uri_user: user('second'), allowed_sources: ['127.0.0.1'] })).json();
      const renamed = await server.api(`/sip-trunks/${second.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ request_uri_user: u }) });
      expect(renamed.status).toBe(409);
      expect((await server.api(`/sip-trunks/${second.id}`)).status).toBe(200);
      expect((await (await server.api(`/sip-trunks/${second.id}`)).json()).request_uri_user).toBe(second.request_uri_user);
      // Re-sending its own user part is not a conflict.
      expect((await server.api(`/sip-trunks/${first.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ request_uri_user: u }) })).status).toBe(200);
    });

    it.each([
      [['10.0.0.0/33'], 'invalid_source'],
      [['not-an-ip'], 'invalid_source'],
      [['10.0.0.0/8', '2001:db8::/129'], 'invalid_source'],
      [['10.0.0.1/'], 'invalid_source'],
      [['10.0.0.0/8/8'], 'invalid_source'],
      [[], undefined],
    ])('rejects allowed_sources %j with 400 and creates nothing', async (sources, code) => {
      const u = user('bad');
      const before = (await (await server.api('/sip-trunks')).json()).sip_trunks.length;
      const res = await postTrunk(server, { request_uri_user: u, allowed_sources: sources });
      expect(res.status).toBe(400);
      const problem = await res.json();
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      if (code) expect(problem.code).toBe(code);
      expect((await (await server.api('/sip-trunks')).json()).sip_trunks.length).toBe(before);
      // The same value is refused on change, and the trunk keeps its sources.
      const ok = await (await postTrunk(server, { request_uri_user: u, allowed_sources: ['127.0.0.1'] })).json();
      const patch = await server.api(`/sip-trunks/${ok.id}`, { method: 'PATCH', headers: json, body: JSON.stringify({ allowed_sources: sources }) });
      expect(patch.status).toBe(400);
      expect((await (await server.api(`/sip-trunks/${ok.id}`)).json()).allowed_sources).toEqual(['127.0.0.1']);
    });

    it('accepts IPv6 addresses and CIDR ranges', async () => {
      const sources = ['2001:db8::/32', '::1', 'fe80::/10', '::ffff:192.0.2.0/120'];
      const res = await postTrunk(server, { request_uri_user: user('v6'), allowed_sources: sources });
      expect(res.status).toBe(201);
      expect((await res.json()).allowed_sources).toEqual(sources);
    });
  });

  describe('INVITE admission', () => {
    /** Sends a SIPREC INVITE for `requestUser` and checks nothing at all was stored for it. */
    async function refusedInvite(requestUser: string, credentials?: { username: string; password: string }) {
      const before = await storedState(server);
      const client = new SiprecClient('udp', { host: sip.host, port: sip.udp }, requestUser, credentials);
      await client.connect();
      const callId = uniqueCallId('refused');
      try {
        const result = await client.invite(buildOffer([{ label: '1' }, { label: '2' }]), twoParties(callId));
        // Give a wrongly accepted call time to show up before checking.
        await new Promise((r) => setTimeout(r, 300));
        const after = await storedState(server);
        expect(after.calls, 'no call row').toBe(before.calls);
        expect(after.recordings, 'no recording row').toBe(before.recordings);
        expect(after.spool.filter((d) => !before.spool.includes(d)), 'no spool directory').toEqual([]);
        expect(await recordingsOfCall(server, callId)).toEqual([]);
        expect(server.app.ingest!.siprec.sessionCount).toBe(0);
        return { result, responses: client.finalResponses };
      } finally {
        client.close();
      }
    }

    it('refuses an unknown Request-URI user with 403', async () => {
      const { result } = await refusedInvite(user('nosuch'));
      expect(result.status).toBe(403);
      expect(result.rtpPorts).toEqual([]);
    });

    it('refuses a sender outside allowed_sources with 403 (IPv4 range, IPv6-only trunk)', async () => {
      const u4 = user('ten');
      expect((await postTrunk(server, { request_uri_user: u4, allowed_sources: ['10.0.0.0/8'] })).status).toBe(201);
      expect((await refusedInvite(u4)).result.status).toBe(403);
      const u6 = user('six');
      expect((await postTrunk(server, { request_uri_user: u6, allowed_sources: ['2001:db8::/32', '::1'] })).status).toBe(201);
      expect((await refusedInvite(u6)).result.status).toBe(403);
    });

    it('challenges a digest trunk with 401, refuses a wrong password with 403, records with the right one', async () => {
      const u = user('digest');
      const password = `secret-${randomBytes(6).toString('hex')}`;
      expect((await postTrunk(server, { request_uri_user: u, allowed_sources: ['127.0.0.0/8'], digest: { username: 'sbc', password } })).status).toBe(201);

      // No credentials: a challenge, and nothing stored.
      const bare = await refusedInvite(u);
      expect(bare.result.status).toBe(401);
      const challenge = getHeader(bare.result.response, 'www-authenticate') ?? '';
      expect(challenge).toMatch(/^Digest /);
      expect(challenge).toMatch(/realm="[^"]+"/);
      expect(challenge).toMatch(/nonce="[^"]+"/);

      // Wrong password: challenged, then 403, nothing stored.
      const wrong = await refusedInvite(u, { username: 'sbc', password: 'not-the-password' });
      expect(wrong.responses.map((r) => r.status)).toEqual([401, 403]);
      // Wrong user name with the right password: 403 too.
      const wrongUser = await refusedInvite(u, { username: 'intruder', password });
      expect(wrongUser.responses.map((r) => r.status)).toEqual([401, 403]);

      // Right credentials over TCP: challenged, then 200, and the call is recorded.
      const client = new SiprecClient('tcp', { host: sip.host, port: sip.tcp }, u, { username: 'sbc', password });
      await client.connect();
      const callId = uniqueCallId('digest');
      const invite = await client.invite(buildOffer([{ label: '1' }, { label: '2' }]), twoParties(callId));
      expect(client.finalResponses.map((r) => r.status)).toEqual([401, 200]);
      expect(invite.status).toBe(200);
      const audio = mulawEncode(noise(50 * PACKET, 77));
      await sendMedia([
        { port: invite.rtpPorts[0], slots: inSlots(packetize(audio, { payloadType: 0, ssrc: 71, bytesPerPacket: PACKET, ticksPerPacket: PACKET })) },
        { port: invite.rtpPorts[1], slots: inSlots(packetize(audio, { payloadType: 0, ssrc: 72, bytesPerPacket: PACKET, ticksPerPacket: PACKET })) },
      ]);
      expect(await client.bye()).toBe(200);
      client.close();
      const rec = await waitForRecording(server, (await recordingOfCall(server, callId)).id, 30_000);
      expect(rec).toMatchObject({ status: 'completed', channels: 2, call_id: callId, duration: 1 });
      const [ch1] = channelsOf(readPcmWav((await download(rec.media_urls.wav)).body).samples, 2);
      const sent = mulawDecode(audio);
      const at = findExact(ch1, sent.subarray(0, PACKET));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(Array.from(ch1.subarray(at, at + sent.length))).toEqual(Array.from(sent));
    });
  });
});
