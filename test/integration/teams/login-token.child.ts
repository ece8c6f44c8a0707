// Run by login-tls.test.ts in a child process: gets one outgoing bot token with the production
// credentials code, so NODE_EXTRA_CA_CERTS (read only at process start) decides whether the
// self-signed login authority is trusted. Prints "token ok" or "token failed <error name>".
import {
  credentialsFactory,
  loginAuthority,
  PUBLIC_CLOUD,
  type TeamsSettings,
} from '../../../bots/teams/auth.js';

const settings = JSON.parse(process.env.AIRLOCK_TEST_TEAMS_SETTINGS ?? '{}') as TeamsSettings;
const credentials = (await credentialsFactory(settings).createCredentials(
  settings.appId,
  PUBLIC_CLOUD.channelScope,
  loginAuthority(settings),
  true,
)) as unknown as { getToken(): Promise<string> };
try {
  const token = await credentials.getToken();
  process.stdout.write(`token ok ${token.split('.').length}\n`);
} catch (err) {
  process.stdout.write(`token failed ${(err as Error).name}\n`);
}
