'use strict';
// Hono peer on @hono/node-server: hand validation.
const { Hono } = require('hono');
const { serve } = require('@hono/node-server');
const { createItem } = require('./validate');

const app = new Hono();
app.get('/json', (c) => c.json({ message: 'hello', id: 1, ok: true }));
app.post('/items/:id', async (c) => {
  let data;
  try {
    data = await c.req.json();
  } catch {
    return c.json({ error: 'invalid JSON' }, 422);
  }
  const [status, body] = createItem(c.req.param('id'), c.req.query('limit'), data);
  return c.json(body, status);
});
serve({ fetch: app.fetch, port: Number(process.env.PORT || 8000), hostname: '127.0.0.1' });
