'use strict';
// Hand validation shared by the Express and Hono peers: returns [status, body].

const INT = /^-?\d+$/;

function createItem(rawId, rawLimit, data) {
  if (typeof rawId !== 'string' || !INT.test(rawId)) return [422, { error: 'id must be an integer' }];
  if (typeof rawLimit !== 'string' || !INT.test(rawLimit)) return [422, { error: 'limit must be an integer' }];
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [422, { error: 'body must be an object' }];
  const { name, price, tags } = data;
  if (typeof name !== 'string' || name.length < 1) return [422, { error: 'name must be a non-empty string' }];
  if (typeof price !== 'number' || !(price > 0)) return [422, { error: 'price must be a number > 0' }];
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
    return [422, { error: 'tags must be a list of strings' }];
  }
  return [200, { id: Number(rawId), limit: Number(rawLimit), name, price, tags }];
}

module.exports = { createItem };
