'use strict';
// Express peer: express.json() body parser, hand validation.
const express = require('express');
const { createItem } = require('./validate');

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.get('/json', (req, res) => res.json({ message: 'hello', id: 1, ok: true }));
app.post('/items/:id', express.json(), (req, res) => {
  const [status, body] = createItem(req.params.id, req.query.limit, req.body);
  res.status(status).json(body);
});
app.use((err, req, res, next) => res.status(err.status === 400 ? 422 : 500).json({ error: String(err.message) }));
app.listen(Number(process.env.PORT || 8000), '127.0.0.1');
