// A product catalogue as an edge worker: the same routes, schemas and problems as the
// other bindings' demos, served by the host's fetch handler.
import { HttpError, Spikard } from "@spikard/wasm";

const ITEM = {
  type: "object",
  required: ["name", "price"],
  properties: {
    name: { type: "string", minLength: 1 },
    price: { type: "number", exclusiveMinimum: 0 },
    category: { type: "string", enum: ["home", "garden", "office"] },
  },
};

const items = new Map([[1, { id: 1, name: "Desk lamp", price: 39.9, category: "home" }]]);

export const app = new Spikard({ openapi: { enabled: true, title: "Catalogue", version: "1.0.0" } });

app.get("/products/{product_id:int}", (req) => {
  const item = items.get(req.params.product_id);
  if (item === undefined) throw new HttpError(404, `no product ${req.params.product_id}`);
  return item;
});

app.post("/products", { body: ITEM, status_code: 201 }, (req) => {
  const item = { id: items.size + 1, ...req.body };
  items.set(item.id, item);
  return item;
});

app.get("/health", () => ({ ok: true }));

export default { fetch: app.fetch };
