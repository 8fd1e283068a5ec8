'use strict';
// Hand validation shared by the Express and Hono peers (neither validates by itself).
// Every function returns the typed value or throws Invalid (answered with 422).

class Invalid extends Error {}

const INT = /^-?\d+$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const QUERY_FEW = [['q', 'str'], ['page', 'int'], ['active', 'bool']];
const QUERY_MANY = [
  ['q', 'str'], ['sort', 'str'], ['order', 'str'], ['category', 'str'], ['brand', 'str'], ['color', 'str'],
  ['page', 'int'], ['per_page', 'int'], ['min_price', 'int'], ['max_price', 'int'],
  ['in_stock', 'bool'], ['featured', 'bool'],
];

function toInt(s, name = 'value') {
  if (typeof s !== 'string' || !INT.test(s)) throw new Invalid(`${name} must be an integer`);
  return Number(s);
}

function toBool(s, name = 'value') {
  if (s === 'true') return true;
  if (s === 'false') return false;
  throw new Invalid(`${name} must be a boolean`);
}

function toUuid(s) {
  if (typeof s !== 'string' || !UUID.test(s)) throw new Invalid('id must be a UUID');
  return s.toLowerCase();
}

function toDate(s) {
  const m = typeof s === 'string' && DATE.exec(s);
  if (!m) throw new Invalid('date must be YYYY-MM-DD');
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) {
    throw new Invalid('date must be a real calendar day');
  }
  return s;
}

function typed(get, spec) {
  const out = {};
  for (const [name, kind] of spec) {
    const raw = get(name);
    if (raw === undefined || raw === null) throw new Invalid(`${name} is required`);
    out[name] = kind === 'int' ? toInt(raw, name) : kind === 'bool' ? toBool(raw, name) : raw;
  }
  return out;
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStrings = (v) => Array.isArray(v) && v.every((t) => typeof t === 'string');

function order(data) {
  if (!isObject(data)) throw new Invalid('body must be an object');
  if (!Number.isInteger(data.id)) throw new Invalid('id must be an integer');
  if (typeof data.customer !== 'string' || data.customer.length < 1) throw new Invalid('customer must be a non-empty string');
  if (!Array.isArray(data.items)) throw new Invalid('items must be a list');
  for (const item of data.items) {
    if (!isObject(item)) throw new Invalid('item must be an object');
    if (typeof item.sku !== 'string' || item.sku.length < 1) throw new Invalid('sku must be a non-empty string');
    if (!Number.isInteger(item.quantity) || item.quantity < 1) throw new Invalid('quantity must be an integer >= 1');
    if (typeof item.price !== 'number' || !(item.price > 0)) throw new Invalid('price must be a number > 0');
    if (!isStrings(item.tags)) throw new Invalid('tags must be a list of strings');
  }
  return data;
}

function item(rawId, rawLimit, data) {
  const id = toInt(rawId, 'id');
  const limit = toInt(rawLimit, 'limit');
  if (!isObject(data)) throw new Invalid('body must be an object');
  const { name, price, tags } = data;
  if (typeof name !== 'string' || name.length < 1) throw new Invalid('name must be a non-empty string');
  if (typeof price !== 'number' || !(price > 0)) throw new Invalid('price must be a number > 0');
  if (!isStrings(tags)) throw new Invalid('tags must be a list of strings');
  return { id, limit, name, price, tags };
}

function form(get) {
  const name = get('name');
  if (typeof name !== 'string' || name.length < 1) throw new Invalid('name is required');
  const price = Number(get('price'));
  if (!(price > 0)) throw new Invalid('price must be a number > 0');
  return { name, price, quantity: toInt(get('quantity'), 'quantity') };
}

// Runs fn and answers through send(status, body): 200 with its value, 422 on Invalid.
function answer(send, fn) {
  try {
    return send(200, fn());
  } catch (e) {
    if (e instanceof Invalid) return send(422, { error: e.message });
    throw e;
  }
}

module.exports = { Invalid, QUERY_FEW, QUERY_MANY, toInt, toUuid, toDate, typed, order, item, form, answer };
