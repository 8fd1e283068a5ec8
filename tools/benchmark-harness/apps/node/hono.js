'use strict';
// Hono peer on @hono/node-server: Hono parses (json, parseBody for forms and multipart);
// validation by hand.
const { Hono } = require('hono');
const { serve } = require('@hono/node-server');
const v = require('./validate');

const app = new Hono();

async function jsonBody(c) {
  try {
    return await c.req.json();
  } catch {
    throw new v.Invalid('invalid JSON');
  }
}

// Runs an async handler body; 422 on Invalid.
const handle = (fn) => async (c) => {
  try {
    return c.json(await fn(c), 200);
  } catch (e) {
    if (e instanceof v.Invalid) return c.json({ error: e.message }, 422);
    throw e;
  }
};

app.get('/plaintext', (c) => c.text('Hello, World!'));
app.get('/json', (c) => c.json({ message: 'hello', id: 1, ok: true }));
app.get('/sleep', () => new Promise((resolve) => setTimeout(() => resolve(Response.json({ slept: true })), 5)));
app.post('/echo/validated', handle(async (c) => v.order(await jsonBody(c))));
app.post('/echo/raw', handle(async (c) => jsonBody(c)));
app.get('/path/one/:name', (c) => c.json({ name: c.req.param('name') }));
app.get('/path/several/:org/:repo/:branch', (c) => {
  const { org, repo, branch } = c.req.param();
  return c.json({ org, repo, branch });
});
app.get('/path/int/:id', handle(async (c) => ({ id: v.toInt(c.req.param('id'), 'id') })));
app.get('/path/uuid/:id', handle(async (c) => ({ id: v.toUuid(c.req.param('id')) })));
app.get('/path/date/:day', handle(async (c) => ({ date: v.toDate(c.req.param('day')) })));
app.get('/query/few', handle(async (c) => v.typed((k) => c.req.query(k), v.QUERY_FEW)));
app.get('/query/many', handle(async (c) => v.typed((k) => c.req.query(k), v.QUERY_MANY)));
app.post('/form', handle(async (c) => {
  const body = await c.req.parseBody();
  return v.form((k) => body[k]);
}));
app.post('/upload', handle(async (c) => {
  const body = await c.req.parseBody();
  const file = body.file;
  if (!file || typeof file === 'string' || typeof body.description !== 'string') {
    throw new v.Invalid('description and file are required');
  }
  return { filename: file.name, size: (await file.arrayBuffer()).byteLength, description: body.description };
}));
app.post('/items/:id', handle(async (c) => v.item(c.req.param('id'), c.req.query('limit'), await jsonBody(c))));
serve({ fetch: app.fetch, port: Number(process.env.PORT || 8000), hostname: '127.0.0.1' });
