'use strict';
// Fastify peer: JSON-schema validation (Ajv). Path and query are coerced from strings;
// the body is validated without coercion (so [1] is not accepted as ["1"]), and
// validation errors answer 422 instead of Fastify's default 400.
const Ajv = require('ajv');
const fastify = require('fastify')({ logger: false });

const coercing = new Ajv({ coerceTypes: true, allErrors: false });
const strict = new Ajv({ coerceTypes: false, allErrors: false });
fastify.setValidatorCompiler(({ schema, httpPart }) =>
  httpPart === 'body' ? strict.compile(schema) : coercing.compile(schema),
);
fastify.setErrorHandler((err, req, reply) => {
  reply.status(err.validation || err.statusCode === 400 ? 422 : 500).send({ error: err.message });
});

fastify.get('/json', async () => ({ message: 'hello', id: 1, ok: true }));
fastify.post(
  '/items/:id',
  {
    schema: {
      params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
      querystring: { type: 'object', properties: { limit: { type: 'integer' } }, required: ['limit'] },
      body: {
        type: 'object',
        required: ['name', 'price', 'tags'],
        properties: {
          name: { type: 'string', minLength: 1 },
          price: { type: 'number', exclusiveMinimum: 0 },
          tags: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
  async (req) => {
    const { name, price, tags } = req.body;
    return { id: req.params.id, limit: req.query.limit, name, price, tags };
  },
);
fastify.listen({ port: Number(process.env.PORT || 8000), host: '127.0.0.1' }, (err) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
});
