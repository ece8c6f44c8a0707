// Sign-in with the configured OpenID provider: authorization code flow with PKCE (openid-client),
// the principal and roles mapped from the ID token exactly as the API maps a bearer JWT.
import type { Request, Response } from 'express';
import type { Principal } from '../api/auth.js';

export type OidcOutcome =
  | { ok: true; principal: Principal; returnTo?: string }
  | { ok: false; status: number; reason: string; message: string };

export interface ConsoleOidc {
  start(req: Request, res: Response, returnTo: string | undefined): Promise<void>;
  finish(req: Request, res: Response): Promise<OidcOutcome>;
}
