# frozen_string_literal: true

# A small catalogue on Spikard for Ruby: typed path parameters, a validated JSON body, an
# API-key hook, a dependency, server-sent events and the docs, served by Spikard's Rust core.
# Run: ./task demo:ruby   (PORT/HOST override)
require "spikard"

module Catalogue
  PRODUCT = {
    type: "object",
    properties: {
      name: { type: "string", minLength: 1 },
      price: { type: "number", exclusiveMinimum: 0 },
      category: { type: "string", enum: %w[home garden office] }
    },
    required: %w[name price category],
    additionalProperties: false
  }.freeze

  def self.build
    app = Spikard::App.new(openapi: { enabled: true, title: "Catalogue", version: "1.0.0" })
    products = { 1 => { "id" => 1, "name" => "Desk lamp", "price" => 39.9, "category" => "home" } }
    app.provide :store, Spikard::Provide.new(lifetime: :singleton) { products }

    app.get "/products/{product_id:int}" do |req, store:|
      id = req.path_params[:product_id]
      store.fetch(id) { raise Spikard::HTTPError.new(404, "Product #{id} not found") }
    end

    app.get "/products", query: { limit: { type: "integer", minimum: 1, maximum: 100, default: 10 } } do |req, store:|
      store.values.first(req.query[:limit])
    end

    app.post "/products", body: PRODUCT do |req, store:|
      product = { "id" => store.size + 1 }.merge(req.body)
      store[product["id"]] = product
      Spikard::Response.new(status: 201, body: product)
    end

    # Writes need the key; reads do not.
    app.on_request do |req|
      if req.method == "POST" && req.headers["x-api-key"] != "demo-key"
        raise Spikard::HTTPError.new(401, "Send the demo key in the X-API-Key header",
                                     headers: { "www-authenticate" => "ApiKey" })
      end
    end

    app.get "/prices" do
      ticks = products.values.map { |p| { event: "price", id: p["id"].to_s, data: { id: p["id"], price: p["price"] } } }
      Spikard::EventSourceResponse.new(ticks)
    end
    app
  end
end

if $PROGRAM_NAME == __FILE__
  host = ENV.fetch("HOST", "127.0.0.1")
  port = Integer(ENV.fetch("PORT", "8000"))
  puts "Catalogue on http://#{host}:#{port} (docs: /docs)"
  Catalogue.build.run(host: host, port: port)
end
