# frozen_string_literal: true

# Contestant `spikard-ruby`: every workload's route written with Spikard's Ruby API
# (packages/ruby, crates/spikard-rb). Path segments are typed in the pattern (`{id:int}`,
# `{id:uuid}`, `{day:date}`), query parameters, forms and JSON bodies are declared as JSON
# Schema (`query:`, `body:`); Spikard's Rust core coerces and validates them (422 on bad
# input) before the block runs. Handlers return plain Hashes (JSON) or a String (text).
#
# Started by the harness as `ruby -I<work>/spikard-ruby/lib app.rb` (port in $PORT): the
# install step `spikard-ruby` builds crates/spikard-rb in release mode and copies it with
# packages/ruby/lib into work/spikard-ruby, so the debug build others put into
# packages/ruby/lib/spikard/spikard_rb.so is neither measured nor overwritten while it is
# loaded. Run by hand (`ruby -Ipackages/ruby/lib app.rb`), it uses whatever is on -I.
#
# One process (like Puma's single mode for the Ruby peers); SPIKARD_RUBY_THREADS Ruby
# threads (default 2) take the handler calls the Rust server queues. Only one of them runs
# Ruby at a time (the GVL), and each takes up to 8 queued calls per wake-up, so a couple
# are enough to keep Ruby busy while the other waits for its next batch; more only add GVL
# hand-overs.
require "spikard"

app = Spikard::App.new

def obj(properties) = { type: "object", properties: properties, required: properties.keys.map(&:to_s) }

STR = { type: "string" }.freeze
NON_EMPTY = { type: "string", minLength: 1 }.freeze
INT = { type: "integer" }.freeze
BOOL = { type: "boolean" }.freeze
POSITIVE = { type: "number", exclusiveMinimum: 0 }.freeze
TAGS = { type: "array", items: STR }.freeze
LINE = obj(sku: NON_EMPTY, quantity: { type: "integer", minimum: 1 }, price: POSITIVE, tags: TAGS).freeze
ORDER = obj(id: INT, customer: NON_EMPTY, items: { type: "array", items: LINE }).freeze
ITEM = obj(name: NON_EMPTY, price: POSITIVE, tags: TAGS).freeze
FORM = obj(name: NON_EMPTY, price: POSITIVE, quantity: INT).freeze
# As spikard-rust's: a multipart body without the file part is a 422.
UPLOAD = { type: "object", required: %w[description file],
           properties: { description: STR, file: { type: "string", format: "binary" } } }.freeze
QUERY_FEW = { q: STR, page: INT, active: BOOL }.freeze
QUERY_MANY = { q: STR, sort: STR, order: STR, category: STR, brand: STR, color: STR, page: INT, per_page: INT,
               min_price: INT, max_price: INT, in_stock: BOOL, featured: BOOL }.freeze

app.get("/plaintext") { "Hello, World!" }
app.get("/json") { { message: "hello", id: 1, ok: true } }
app.get("/sleep") do
  sleep 0.005 # a blocking call: blocks one of the Ruby handler threads
  { slept: true }
end

app.post("/echo/validated", body: ORDER) { |req| req.body }
app.post("/echo/raw") { |req| req.body }

app.get("/path/one/{name}") { |req| { name: req.params[:name] } }
app.get("/path/several/{org}/{repo}/{branch}") do |req|
  p = req.params
  { org: p[:org], repo: p[:repo], branch: p[:branch] }
end
app.get("/path/int/{id:int}") { |req| { id: req.params[:id] } }
app.get("/path/uuid/{id:uuid}") { |req| { id: req.params[:id] } }
app.get("/path/date/{day:date}") { |req| { date: req.params[:day] } }

app.get("/query/few", query: QUERY_FEW) do |req|
  q = req.query
  { q: q[:q], page: q[:page], active: q[:active] }
end
app.get("/query/many", query: QUERY_MANY) do |req|
  q = req.query
  QUERY_MANY.each_key.to_h { |name| [name, q[name]] }
end

app.post("/form", content_type: "application/x-www-form-urlencoded", body: FORM) { |req| req.body }

# The upload's bytes arrive in `req.files` (Hashes with `field_name`, `filename`,
# `content_type`, `data`, `size`), the text fields in `req.body`.
app.post("/upload", body: UPLOAD) do |req|
  file = req.files.find { |f| f[:field_name] == "file" }
  raise "the core handed no uploaded file for \"file\": #{req.files.map { |f| f[:field_name] }.inspect}" unless file

  { filename: file[:filename], size: file[:size], description: req.body["description"] }
end

app.post("/items/{id:int}", query: { limit: INT }, body: ITEM) do |req|
  b = req.body
  { id: req.params[:id], limit: req.query[:limit], name: b["name"], price: b["price"], tags: b["tags"] }
end

app.run(host: "127.0.0.1", port: Integer(ENV.fetch("PORT", "8000")), workers: 1,
        threads: Integer(ENV.fetch("SPIKARD_RUBY_THREADS", "2")))
