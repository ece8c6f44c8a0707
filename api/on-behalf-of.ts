// Whom a submitted request acts for (SPEC 1, `agent.onBehalfOf`). That human counts as a
// requester for the no-self-approval rule, so the value is only worth what vouches for it:
// - the credential (an API key configured with `onBehalfOf`, an OIDC token with an RFC 8693
//   `act` claim) says it: that wins, and a body that names someone else is refused;
// - only the body says it: it is taken in its canonical form (policy/identity.ts), which stops
//   an honest agent's request from being approved by the person it names, in any spelling. It
//   proves nothing: a requester that writes its own body can leave it out or name anyone.
import { canonicalAddress } from '../policy/identity.js';
import type { AgentInfo } from '../workflows/types.js';
import type { Principal } from './auth.js';
import { PROBLEM, ProblemError } from './problem.js';

const FIELD = 'agent.onBehalfOf';

const refused = (detail: string) =>
  new ProblemError({
    status: 400,
    type: PROBLEM.invalidBody,
    title: 'Invalid request',
    detail: `${FIELD}: ${detail}`,
    field: FIELD,
  });

/** The request's agent with `onBehalfOf` canonical, or bound by the credential; throws a 400. */
export function agentFor(principal: Principal, agent: AgentInfo | undefined): AgentInfo | undefined {
  const claimed = agent?.onBehalfOf;
  let canonical: string | undefined;
  if (claimed !== undefined) {
    const result = canonicalAddress(claimed);
    if (!result.ok) throw refused(`${result.reason} (a plain address such as dana@example.com)`);
    canonical = result.identity;
  }
  const bound = principal.onBehalfOf;
  if (bound !== undefined) {
    if (canonical !== undefined && canonical !== bound) {
      throw refused('differs from the person your credential acts for; leave it out or send that address');
    }
    return { ...agent, onBehalfOf: bound };
  }
  if (canonical === undefined) return agent;
  return { ...agent, onBehalfOf: canonical };
}
