// Audit evidence over HTTP (SPEC 6/7): verify the whole trail, export a signed evidence
// pack for a period, and read a request's archived Temporal history. Auditors (and admins) only;
// decrypted payloads only when the auditor asks for them, and every export is itself recorded in
// the chain.
import { randomUUID } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { getArchivedHistory } from '../audit/archive-store.js';
import { openEvidencePack } from '../audit/export.js';
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

  router.get('/v1/audit/export', requireRole('auditor'), exportHandler(deps, evidence));

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

/**
 * GET /v1/audit/export: a signed evidence pack for a period, streamed, and recorded in the chain
 * under the caller's name (the console's export form answers with this same handler).
 */
export function exportHandler(deps: ApiDeps, evidence: ApiEvidenceDeps) {
  const db = deps.audit.db;
  return async (req: Request, res: Response): Promise<void> => {
    const q = exportQuerySchema.parse(req.query);
    const principal = req.principal!;
    const now = new Date();
    const from = q.from ?? new Date(0).toISOString();
    const to = q.to ?? new Date(now.getTime() + 1).toISOString();
    // Bounds and the export checkpoint first: an error there is still an ordinary problem response.
    const pack = await openEvidencePack(db, {
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
    const exported = { from, to, format: q.format, decrypted: q.decrypt === true };
    // Who took evidence out, and whether decrypted, is evidence too.
    let recorded = false;
    const record = async (extra: Record<string, unknown> = {}) => {
      if (recorded) return;
      recorded = true;
      await deps.audit.append({
        requestId: SERVICE_AUDIT_ID,
        eventKey: `export:${randomUUID()}`,
        type: 'evidence.exported',
        actor: principal.id,
        at: now.toISOString(),
        data: { ...exported, ...pack.summary, ...extra },
      });
    };
    res
      .status(200)
      .setHeader('content-type', pack.contentType)
      .setHeader('content-disposition', `attachment; filename="${pack.filename}"`)
      .setHeader('cache-control', 'no-store');
    const out = responseWriter(res);
    try {
      for await (const chunk of pack.body()) await out.write(chunk);
      // Recorded before the seal leaves: a pack that verifies was always recorded in the chain.
      await record();
      await out.write(pack.seal());
    } catch (err) {
      const closed = out.closed();
      if (!res.headersSent && !closed) {
        // Nothing sent yet (a small pack is sent in one piece): an ordinary problem response.
        res.removeHeader('content-disposition');
        throw err;
      }
      // Never end cleanly: the client sees a cut connection and a pack with no seal.
      res.destroy();
      deps.logger.warn(
        { err: closed ? undefined : err, principal: principal.id, ...exported, ...pack.summary },
        closed ? 'evidence export aborted by the client' : 'evidence export failed mid-stream',
      );
      // Part of the evidence may have left: record it as an aborted export (best effort; not
      // when the complete export was recorded already and only the seal did not get out).
      await record({ aborted: closed ? 'client_closed' : 'server_error' }).catch((recordErr) =>
        deps.logger.error({ err: recordErr }, 'could not record the aborted export'),
      );
      return;
    }
    res.end();
    deps.logger.info({ principal: principal.id, ...exported, ...pack.summary }, 'evidence exported');
  };
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

/** Thrown by a write once the client has gone. */
class ClientClosedError extends Error {
  constructor() {
    super('the client closed the connection');
  }
}

/** Writes to the response with backpressure: waits for 'drain', fails once the client is gone. */
function responseWriter(res: Response) {
  let closed = false;
  res.once('close', () => {
    closed = true;
  });
  return {
    closed: () => closed,
    write(chunk: string): Promise<void> {
      if (closed || res.destroyed) return Promise.reject(new ClientClosedError());
      if (res.write(chunk)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          res.off('close', onClose);
          resolve();
        };
        const onClose = () => {
          res.off('drain', onDrain);
          reject(new ClientClosedError());
        };
        res.once('drain', onDrain);
        res.once('close', onClose);
      });
    },
  };
}
