// /openapi.json and /docs: Swagger UI served from the swagger-ui-dist package, so the docs
// work offline and load nothing from a CDN.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { Router } from 'express';
import { buildOpenApi } from './openapi.js';

const require = createRequire(import.meta.url);

export function docsRouter(publicUrl: string): Router {
  const router = Router();
  const document = buildOpenApi(publicUrl);
  const assets = dirname(require.resolve('swagger-ui-dist/package.json'));
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Airlock API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`);
  });
  router.get('/docs/init.js', (_req, res) => {
    res
      .type('application/javascript')
      .send(`window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });`);
  });
  router.use('/docs/assets', express.static(assets, { index: false }));
  return router;
}
