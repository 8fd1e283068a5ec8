'use strict';
// Fastify peer: JSON-schema validation (Ajv, with ajv-formats for uuid/date). Path, query and
// form fields are coerced from strings; JSON bodies are validated without coercion (so [1]
// is not accepted as ["1"]); validation errors answer 422 instead of Fastify's default 400.
// Forms via @fastify/formbody, uploads via @fastify/multipart.
const Ajv = require('ajv');
const addFormats = require('ajv-formats');
const fastify = require('fastify')({ logger: false, bodyLimit: 1 << 20 });

const coercing = addFormats(new Ajv({ coerceTypes: true, allErrors: false }));
const strict = addFormats(new Ajv({ coerceTypes: false, allErrors: false }));
fastify.setValidatorCompiler(({ schema, httpPart, url }) =>
  httpPart === 'body' && url !== '/form' ? strict.compile(schema) : coercing.compile(schema),
);
fastify.setErrorHandler((err, req, reply) => {
  reply.status(err.validation || err.statusCode === 400 ? 422 : 500).send({ error: err.message });
});
fastify.register(require('@fastify/formbody'));
fastify.register(require('@fastify/multipart'));

const obj = (properties) => ({ type: 'object', properties, required: Object.keys(properties) });
const str = { type: 'string' };
const int = { type: 'integer' };
const bool = { type: 'boolean' };
const tags = { type: 'array', items: str };
const line = obj({ sku: { type: 'string', minLength: 1 }, quantity: { type: 'integer', minimum: 1 }, price: { type: 'number', exclusiveMinimum: 0 }, tags });
const order = obj({ id: int, customer: { type: 'string', minLength: 1 }, items: { type: 'array', items: line } });

fastify.get('/plaintext', async (req, reply) => reply.type('text/plain; charset=utf-8').send('Hello, World!'));
fastify.get('/json', async () => ({ message: 'hello', id: 1, ok: true }));
fastify.get('/sleep', () => new Promise((resolve) => setTimeout(() => resolve({ slept: true }), 5)));
fastify.post('/echo/validated', { schema: { body: order } }, async (req) => req.body);
fastify.post('/echo/raw', async (req) => req.body);
fastify.get('/path/one/:name', async (req) => ({ name: req.params.name }));
fastify.get('/path/several/:org/:repo/:branch', async (req) => {
  const { org, repo, branch } = req.params;
  return { org, repo, branch };
});
fastify.get('/path/int/:id', { schema: { params: obj({ id: int }) } }, async (req) => ({ id: req.params.id }));
fastify.get('/path/uuid/:id', { schema: { params: obj({ id: { type: 'string', format: 'uuid' } }) } }, async (req) => ({ id: req.params.id.toLowerCase() }));
fastify.get('/path/date/:day', { schema: { params: obj({ day: { type: 'string', format: 'date' } }) } }, async (req) => ({ date: req.params.day }));
fastify.get('/query/few', { schema: { querystring: obj({ q: str, page: int, active: bool }) } }, async (req) => req.query);
const many = obj({ q: str, sort: str, order: str, category: str, brand: str, color: str, page: int, per_page: int, min_price: int, max_price: int, in_stock: bool, featured: bool });
fastify.get('/query/many', { schema: { querystring: many } }, async (req) => req.query);
const form = obj({ name: { type: 'string', minLength: 1 }, price: { type: 'number', exclusiveMinimum: 0 }, quantity: int });
fastify.post('/form', { schema: { body: form } }, async (req) => req.body);
fastify.post('/upload', async (req, reply) => {
  const file = await req.file();
  const description = file && file.fields.description && file.fields.description.value;
  if (!file || typeof description !== 'string') return reply.status(422).send({ error: 'description and file are required' });
  const data = await file.toBuffer();
  return { filename: file.filename, size: data.length, description };
});
const item = obj({ name: { type: 'string', minLength: 1 }, price: { type: 'number', exclusiveMinimum: 0 }, tags });
fastify.post('/items/:id', { schema: { params: obj({ id: int }), querystring: obj({ limit: int }), body: item } }, async (req) => {
  const { name, price, tags: t } = req.body;
  return { id: req.params.id, limit: req.query.limit, name, price, tags: t };
});
fastify.listen({ port: Number(process.env.PORT || 8000), host: '127.0.0.1' }, (err) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
});
