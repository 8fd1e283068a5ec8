// A small catalogue on @spikard/node: typed path parameters, a validated JSON body, an
// API-key hook, a dependency, server-sent events and the docs, served by Spikard's Rust core.
// Run: ./task demo:node   (PORT/HOST override)
import { EventSourceResponse, HttpError, Provide, Response, Spikard } from "../../packages/node/esm/index.mjs";

const Product = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1 },
    price: { type: "number", exclusiveMinimum: 0 },
    category: { type: "string", enum: ["home", "garden", "office"] },
  },
  required: ["name", "price", "category"],
  additionalProperties: false,
};

export function build() {
  const app = new Spikard({ openapi: { enabled: true, title: "Catalogue", version: "1.0.0" } });
  const products = new Map([[1, { id: 1, name: "Desk lamp", price: 39.9, category: "home" }]]);
  app.provide("store", new Provide(() => products, { lifetime: "singleton" }));

  app.get("/products/{product_id:int}", { dependencies: ["store"] }, (req) => {
    const product = req.deps.store.get(req.params.product_id);
    if (product === undefined) throw new HttpError(404, `Product ${req.params.product_id} not found`);
    return product;
  });

  app.get(
    "/products",
    { parameters: { query: { limit: { type: "integer", minimum: 1, maximum: 100, default: 10 } } }, dependencies: ["store"] },
    (req) => [...req.deps.store.values()].slice(0, req.query.limit),
  );

  app.post("/products", { body_schema: Product, dependencies: ["store"] }, (req) => {
    const id = req.deps.store.size + 1;
    const product = { id, ...req.body };
    req.deps.store.set(id, product);
    return Response.json(product, { status: 201 });
  });

  // Writes need the key; reads do not.
  app.onRequest((req) => {
    if (req.method === "POST" && req.headers["x-api-key"] !== "demo-key") {
      throw new HttpError(401, "Send the demo key in the X-API-Key header", { headers: { "www-authenticate": "ApiKey" } });
    }
  });

  app.get("/prices", () => {
    async function* ticks() {
      for (const product of products.values()) {
        yield { event: "price", id: String(product.id), data: { id: product.id, price: product.price } };
      }
    }
    return new EventSourceResponse(ticks());
  });
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const app = build();
  const port = await app.listen({ host: process.env.HOST ?? "127.0.0.1", port: Number(process.env.PORT ?? 8000) });
  console.log(`Catalogue on http://127.0.0.1:${port} (docs: /docs)`);
}
