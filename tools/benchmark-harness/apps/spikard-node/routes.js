'use strict';
// The routes of the Spikard JavaScript contestants (`spikard-node`, `spikard-wasm`), written
// once with the API both packages share: every workload's route with Spikard's Node API.
// Path segments are typed in the pattern (`{id:int}`, `{id:uuid}`, `{day:date}`), query
// parameters, forms and JSON bodies are declared as JSON Schema (`parameters`,
// `body_schema`); Spikard's Rust core coerces and validates them (422 on bad input) before
// the handler runs. Handlers are sync and return plain objects.

module.exports = function routes(app) {
  const obj = (properties) => ({ type: 'object', properties, required: Object.keys(properties) });
  const str = { type: 'string' };
  const nonEmpty = { type: 'string', minLength: 1 };
  const int = { type: 'integer' };
  const bool = { type: 'boolean' };
  const positive = { type: 'number', exclusiveMinimum: 0 };
  const tags = { type: 'array', items: str };
  const line = obj({ sku: nonEmpty, quantity: { type: 'integer', minimum: 1 }, price: positive, tags });
  const order = obj({ id: int, customer: nonEmpty, items: { type: 'array', items: line } });
  const item = obj({ name: nonEmpty, price: positive, tags });
  const form = obj({ name: nonEmpty, price: positive, quantity: int });

  app.get('/plaintext', () => 'Hello, World!');
  app.get('/json', () => ({ message: 'hello', id: 1, ok: true }));
  // A slow call the Node way: awaited, never blocking the event loop.
  app.get('/sleep', () => new Promise((resolve) => setTimeout(() => resolve({ slept: true }), 5)));

  app.post('/echo/validated', { body_schema: order }, (req) => req.body);
  app.post('/echo/raw', (req) => req.body);

  app.get('/path/one/{name}', (req) => ({ name: req.params.name }));
  app.get('/path/several/{org}/{repo}/{branch}', (req) => {
    const { org, repo, branch } = req.params;
    return { org, repo, branch };
  });
  app.get('/path/int/{id:int}', (req) => ({ id: req.params.id }));
  app.get('/path/uuid/{id:uuid}', (req) => ({ id: req.params.id }));
  app.get('/path/date/{day:date}', (req) => ({ date: req.params.day }));

  app.get('/query/few', { parameters: { query: { q: str, page: int, active: bool } } }, (req) => {
    const { q, page, active } = req.query;
    return { q, page, active };
  });
  const many = { q: str, sort: str, order: str, category: str, brand: str, color: str, page: int, per_page: int, min_price: int, max_price: int, in_stock: bool, featured: bool };
  app.get('/query/many', { parameters: { query: many } }, (req) => {
    const q = req.query;
    return {
      q: q.q,
      sort: q.sort,
      order: q.order,
      category: q.category,
      brand: q.brand,
      color: q.color,
      page: q.page,
      per_page: q.per_page,
      min_price: q.min_price,
      max_price: q.max_price,
      in_stock: q.in_stock,
      featured: q.featured,
    };
  });

  app.post('/form', { content_type: 'application/x-www-form-urlencoded', body_schema: form }, (req) => req.body);

  // A multipart body reaches a Node handler only as `req.body`: the text fields, and each file
  // part as a JSON object {filename, content_type, size, content} (content as text, or base64
  // with content_encoding "base64"); the package has no upload type with the bytes (Python's
  // UploadFile, Rust's ctx.files()). The schema (as spikard-rust's) makes a body without the
  // file part a 422; a file part in another shape is a server error, never a made-up answer.
  const upload = {
    type: 'object',
    required: ['description', 'file'],
    properties: { description: str, file: { type: 'string', format: 'binary' } },
  };
  app.post('/upload', { body_schema: upload }, (req) => {
    const { description, file } = req.body;
    if (file === null || typeof file !== 'object' || typeof file.filename !== 'string' || typeof file.size !== 'number') {
      throw new Error(`the core handed no uploaded file object for "file": ${JSON.stringify(file)?.slice(0, 200)}`);
    }
    return { filename: file.filename, size: file.size, description };
  });

  app.post('/items/{id:int}', { parameters: { query: { limit: int } }, body_schema: item }, (req) => {
    const { name, price, tags: t } = req.body;
    return { id: req.params.id, limit: req.query.limit, name, price, tags: t };
  });
};
