// Fault case 6 (identities): property-based look-alikes of an approver's address, in every place
// an identity enters: the submit body (agent.onBehalfOf), an OIDC token's claims, a Slack and a
// Teams directory entry. Whatever the spelling, the approver never decides her own agent's
// request, and no chat user nor token becomes her by writing her address differently.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../api/auth.js';
import { ProblemError } from '../../api/problem.js';
import { SlackIdentities } from '../../bots/slack/identity.js';
import { resolveTeamsUser } from '../../bots/teams/identity.js';
import { parsePolicy } from '../../policy/load.js';
import { type FakeOidcIssuer, startFakeOidcIssuer } from '../fakes/oidc-issuer.js';
import { CORE_POLICY, coreConfig, httpRequest, PRINCIPALS } from '../integration/core/fixtures.js';
import { eventually, type Harness, startHarness } from '../support/harness.js';
import { checkProperty } from './fuzz-support.js';
import { size } from './support.js';

const DANA = 'dana@example.com';
const corePolicy = parsePolicy(CORE_POLICY, 'core.yaml');

/** Fullwidth forms of printable ASCII: NFKC folds them back. */
const fullwidth = (s: string) =>
  [...s].map((c) => (c >= '!' && c <= '~' ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('');

const INVISIBLES = [
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u00ad',
  '\u202e',
  '\u202d',
  '\u061c',
  '\u180e',
];
const CONTROLS = ['\n', '\r', '\t', '\u0000', '\u001b', '\u0085', '\u2028', '\u2029'];
const HOMOGLYPHS: Record<string, string> = { a: 'а', e: 'е', o: 'о', c: 'с', p: 'р', x: 'х' }; // Cyrillic

/** One spelling of dana@example.com: several transforms applied in turn, anywhere in the text. */
const lookAlike = fc
  .array(
    fc.oneof(
      fc.constant((s: string) => s.toUpperCase()),
      fc.constant((s: string) => `${s}.`),
      fc.constant((s: string) => `mailto:${s}`),
      fc.constant((s: string) => `Dana <${s}>`),
      fc.constant((s: string) => ` ${s}\u00a0`),
      fc.constant((s: string) => s.replace('@', '+agent@')),
      fc.nat({ max: 20 }).map((n) => (s: string) => {
        const at = n % (s.length + 1);
        return s.slice(0, at) + fullwidth(s.slice(at, at + 3)) + s.slice(at + 3);
      }),
      fc
        .tuple(fc.constantFrom(...INVISIBLES, ...CONTROLS), fc.nat({ max: 20 }))
        .map(([c, n]) => (s: string) => {
          const at = n % (s.length + 1);
          return s.slice(0, at) + c + s.slice(at);
        }),
      fc.constantFrom(...Object.keys(HOMOGLYPHS)).map((l) => (s: string) => s.replace(l, HOMOGLYPHS[l]!)),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((steps) => steps.reduce((s, step) => step(s), DANA));

describe('fault 6: identity look-alikes', () => {
  let h: Harness;
  let issuer: FakeOidcIssuer;

  beforeAll(async () => {
    issuer = await startFakeOidcIssuer('airlock-fuzz');
    h = await startHarness({
      policy: CORE_POLICY,
      config: coreConfig('http://127.0.0.1:9', 'postgres://unused@127.0.0.1:1/unused'),
      principals: PRINCIPALS,
    });
  }, 180_000);

  afterAll(async () => {
    await h?.stop();
    await issuer?.close();
  });

  it('an agent acting for a look-alike of dana: refused at submit, or dana cannot approve', async (ctx) => {
    let n = 0;
    await checkProperty(
      ctx,
      fc.asyncProperty(lookAlike, async (onBehalfOf) => {
        n += 1;
        const res = await h.api('agent-runner@example.com', '/v1/actions', {
          body: httpRequest({
            parameters: { method: 'POST', path: '/fuzz', body: { n, at: Date.now() } },
            agent: { name: 'fuzz-bot', onBehalfOf },
          }),
        });
        if (res.status === 400) {
          expect(res.body.field, JSON.stringify(res.body)).toBe('agent.onBehalfOf');
          return;
        }
        expect([200, 202], JSON.stringify(res.body)).toContain(res.status);
        const id = res.body.id as string;
        await eventually(
          async () => {
            const s = await h.api('audit@example.com', `/v1/actions/${id}`);
            return s.body.status === 'pending_approval' ? true : undefined;
          },
          20_000,
          `pending ${id}`,
        );
        const decision = await h.api(DANA, `/v1/actions/${id}/decisions`, { body: { decision: 'approve' } });
        expect(decision.status, `${JSON.stringify(onBehalfOf)}: ${JSON.stringify(decision.body)}`).toBe(403);
        expect(decision.body.type).toBe('urn:airlock:problem:self-approval');
      }),
      size(15, 150),
    );
  }, 600_000);

  it('an OIDC token with a look-alike e-mail is refused or is dana herself, never anyone else', async (ctx) => {
    const auth = createAuthenticator({
      apiKeys: [],
      oidc: { issuer: issuer.issuer, audience: issuer.audience, jwksUrl: issuer.jwksUrl },
    });
    await checkProperty(
      ctx,
      fc.asyncProperty(lookAlike, fc.boolean(), async (email, verified) => {
        const token = await issuer.sign({
          sub: 'u-fuzz',
          email,
          email_verified: verified,
          roles: ['approver'],
        });
        try {
          const principal = await auth.authenticate({ authorization: `Bearer ${token}` });
          expect(verified).toBe(true);
          // Accepted only as a canonical address: dana's, or a tagged one that is not a member.
          expect(principal.id).toMatch(/^dana(\+agent)*@example\.com$/);
        } catch (err) {
          expect(err).toBeInstanceOf(ProblemError);
          expect((err as ProblemError).status).toBe(401);
        }
      }),
      size(100, 1000),
    );
  });

  it('a Slack user whose directory e-mail is a look-alike of dana is never dana', async (ctx) => {
    // The core policy maps dana to Slack user U0DANA.
    const policy = { current: () => corePolicy };
    await checkProperty(
      ctx,
      fc.asyncProperty(lookAlike, async (email) => {
        const client = {
          users: {
            info: async () => ({
              user: { id: 'U0EVE', team_id: 'T1', is_email_confirmed: true, profile: { email } },
            }),
          },
        };
        const slack = new SlackIdentities(policy, client as never, async () => ({ teamId: 'T1' }), true);
        const verdict = await slack.resolve({ id: 'U0EVE', teamId: 'T1' } as never);
        if (verdict.ok) expect(verdict.identity).not.toBe(DANA);
      }),
      size(100, 1000),
    );
  });

  it('a Teams user whose directory e-mail is a look-alike of a mapped dana is never dana', async (ctx) => {
    const teamsPolicy = parsePolicy(
      `version: 1
groups: { dba: [${DANA}] }
identities:
  - { email: ${DANA}, teams: { aadObjectId: 00000000-0000-0000-0000-00000000000d } }
`,
      'teams.yaml',
    );
    await checkProperty(
      ctx,
      fc.asyncProperty(lookAlike, async (email) => {
        const verdict = await resolveTeamsUser(
          teamsPolicy,
          ['tenant-1'],
          { aadObjectId: 'eve-aad', tenantId: 'tenant-1' },
          async () => ({ aadObjectId: 'eve-aad', email, tenantId: 'tenant-1' }),
        );
        if (verdict.ok) expect(verdict.identity).not.toBe(DANA);
      }),
      size(100, 1000),
    );
  });
});
