'use strict';
// Express peer: express.json()/urlencoded() and multer parse bodies; validation by hand.
const express = require('express');
const multer = require('multer');
const v = require('./validate');

const app = express();
app.disable('x-powered-by');
app.disable('etag');
const json = express.json({ limit: '1mb' });
const upload = multer({ storage: multer.memoryStorage() });
const send = (res) => (status, body) => res.status(status).json(body);

app.get('/plaintext', (req, res) => res.type('text/plain').send('Hello, World!'));
app.get('/json', (req, res) => res.json({ message: 'hello', id: 1, ok: true }));
app.get('/sleep', (req, res) => setTimeout(() => res.json({ slept: true }), 5));
app.post('/echo/validated', json, (req, res) => v.answer(send(res), () => v.order(req.body)));
app.post('/echo/raw', json, (req, res) => res.json(req.body));
app.get('/path/one/:name', (req, res) => res.json({ name: req.params.name }));
app.get('/path/several/:org/:repo/:branch', (req, res) => {
  const { org, repo, branch } = req.params;
  res.json({ org, repo, branch });
});
app.get('/path/int/:id', (req, res) => v.answer(send(res), () => ({ id: v.toInt(req.params.id, 'id') })));
app.get('/path/uuid/:id', (req, res) => v.answer(send(res), () => ({ id: v.toUuid(req.params.id) })));
app.get('/path/date/:day', (req, res) => v.answer(send(res), () => ({ date: v.toDate(req.params.day) })));
app.get('/query/few', (req, res) => v.answer(send(res), () => v.typed((k) => req.query[k], v.QUERY_FEW)));
app.get('/query/many', (req, res) => v.answer(send(res), () => v.typed((k) => req.query[k], v.QUERY_MANY)));
app.post('/form', express.urlencoded({ extended: false }), (req, res) =>
  v.answer(send(res), () => v.form((k) => req.body[k])),
);
app.post('/upload', upload.single('file'), (req, res) =>
  v.answer(send(res), () => {
    if (!req.file || typeof req.body.description !== 'string') throw new v.Invalid('description and file are required');
    return { filename: req.file.originalname, size: req.file.buffer.length, description: req.body.description };
  }),
);
app.post('/items/:id', json, (req, res) =>
  v.answer(send(res), () => v.item(req.params.id, req.query.limit, req.body)),
);
app.use((err, req, res, next) => res.status(err.status === 400 ? 422 : 500).json({ error: String(err.message) }));
app.listen(Number(process.env.PORT || 8000), '127.0.0.1');
