// Audit evidence over HTTP (SPEC 6/7, issue 5): verify the whole trail, export a signed evidence
// pack for a period, and read a request's archived Temporal history. Auditors (and admins) only;
// decrypted payloads only when the auditor asks for them, and every export is itself recorded in
// the chain.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { getArchivedHistory } from '../audit/archive-store.js';
import { buildEvidencePack } from '../audit/export.js';
import { auditPrivileges } from '../audit/hardening.js';
import { verifyEvidence } from '../audit/verify-evidence.js';
import { PayloadDecryptionError, UnknownEncryptionKeyError } from '../temporal/codec.js';
import { decodeHistoryJson } from '../temporal/history-json.js';
import { requireRole } from './auth.js';
import type { ApiDeps, ApiEvidenceDeps } from './deps.js';
import { PROBLEM, ProblemError } from './problem.js';
import { exportQuerySchema, historyQuerySchema, idParamSchema } from './schemas.js';

/** Request id of the service's own audit events (exports), outside any action request. */
export const SERVICE_AUDIT_ID = 'airlock:audit';

export function auditRouter(deps: ApiDeps, evidence: ApiEvidenceDeps): Router {
  const router = Router();
  const db = deps.audit.db;
  const trusted = new Map(evidence.publishedKeys.map((k) => [k.kid, k.publicKey]));

  router.get('/v1/audit/verify', requireRole('auditor'), async (_req, res) => {
    const result = await verifyEvidence(db, { trusted });
    // Whether the service itself could rewrite evidence (the embedded demo store has no roles).
    const database = db.kind === 'postgres' ? await auditPrivileges(db) : undefined;
    res.json({ ...result, ...(database ? { database } : {}) });
  });

  router.get('/v1/audit/export', requireRole('auditor'), async (req, res) => {
    const q = exportQuerySchema.parse(req.query);
    const principal = req.principal!;
    const now = new Date();
    const from = q.from ?? new Date(0).toISOString();
    const to = q.to ?? new Date(now.getTime() + 1).toISOString();
    const pack = await buildEvidencePack(db, {
      from,
      to,
      format: q.format,
      generatedBy: principal.id,
      service: deps.publicUrl,
      signing: evidence.signing,
      publishedKeys: evidence.publishedKeys,
      now,
      ...(q.decrypt ? { decodeHistory: (h: unknown) => decodeOrExplain(h, evidence) } : {}),
    });
    // Who took evidence out, and whether decrypted, is evidence too.
    await deps.audit.append({
      requestId: SERVICE_AUDIT_ID,
      eventKey: `export:${randomUUID()}`,
      type: 'evidence.exported',
      actor: principal.id,
      at: now.toISOString(),
      data: { from, to, format: q.format, decrypted: q.decrypt === true, ...pack.summary },
    });
    deps.logger.info(
      { principal: principal.id, from, to, format: q.format, decrypted: q.decrypt === true, ...pack.summary },
      'evidence exported',
    );
    res
      .status(200)
      .setHeader('content-type', pack.contentType)
      .setHeader('content-disposition', `attachment; filename="${pack.filename}"`)
      .setHeader('cache-control', 'no-store')
      .send(pack.body);
  });

  router.get('/v1/actions/:id/history', requireRole('auditor'), async (req, res) => {
    const { id } = idParamSchema.parse(req.params);
    const { decrypt } = historyQuerySchema.parse(req.query);
    const archived = await getArchivedHistory(db, id);
    if (!archived) {
      throw new ProblemError({
        status: 404,
        type: PROBLEM.notFound,
        title: 'Not found',
        detail: 'no archived history for this request (it is archived after the workflow closes)',
      });
    }
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-airlock-workflow-id', archived.workflowId);
    res.setHeader('x-airlock-run-id', archived.runId);
    if (decrypt) {
      deps.logger.info({ requestId: id, principal: req.principal!.id }, 'archived history decrypted');
      const decoded = await decodeOrExplain(JSON.parse(archived.history), evidence);
      if (decoded && typeof decoded === 'object' && 'undecodable' in decoded) {
        throw new ProblemError({
          status: 409,
          type: 'urn:airlock:problem:undecodable-payload',
          title: 'Cannot decrypt',
          detail: `${String(decoded.undecodable)}; the archived history itself is intact (fetch it without decrypt)`,
        });
      }
      res.json(decoded);
      return;
    }
    // The exact archived bytes: their SHA-256 is the one in the chain's history.archived event.
    res.setHeader('x-airlock-history-sha256', archived.sha256);
    res.setHeader('repr-digest', `sha-256=:${Buffer.from(archived.sha256, 'hex').toString('base64')}:`);
    res.type('application/json').send(archived.history);
  });

  return router;
}

/** A history whose key was retired is still exported (verifiable by hash), with the reason it stays sealed. */
async function decodeOrExplain(history: unknown, evidence: ApiEvidenceDeps): Promise<unknown> {
  try {
    return await decodeHistoryJson(history, evidence.codec);
  } catch (err) {
    if (err instanceof UnknownEncryptionKeyError || err instanceof PayloadDecryptionError)
      return { undecodable: err.message };
    throw err;
  }
}
