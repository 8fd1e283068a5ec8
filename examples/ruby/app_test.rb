# frozen_string_literal: true

# The example through the in-memory test client.
require "minitest/autorun"
require_relative "app"

class CatalogueTest < Minitest::Test
  def test_reads_validated_writes_behind_the_key_and_problems
    client = Spikard::TestClient.new(Catalogue.build)
    assert_equal({ "id" => 1, "name" => "Desk lamp", "price" => 39.9, "category" => "home" },
                 client.get("/products/1").json)
    bad = client.get("/products/abc")
    assert_equal [422, %w[path product_id]], [bad.status, bad.json["errors"][0]["loc"]]
    assert_equal 404, client.get("/products/9").status
    chair = { "name" => "Chair", "price" => 80, "category" => "office" }
    denied = client.post("/products", json: chair)
    assert_equal [401, "ApiKey"], [denied.status, denied.headers["www-authenticate"]]
    created = client.post("/products", json: chair, headers: { "x-api-key" => "demo-key" })
    assert_equal [201, { "id" => 2 }.merge(chair)], [created.status, created.json]
    invalid = client.post("/products", json: { name: "", price: -1, category: "moon" },
                                       headers: { "x-api-key" => "demo-key" })
    assert_equal [422, 3], [invalid.status, invalid.json["errors"].length]
    assert_equal 1, client.get("/products", query: { limit: 1 }).json.length
    assert_match(/\Aevent: price\nid: 1\ndata: \{"id":1,"price":39.9\}\n\n/, client.get("/prices").text)
    docs = client.get("/openapi.json")
    assert_equal 200, docs.status
    assert docs.json["paths"].key?("/products/{product_id}")
  ensure
    client&.close
  end
end
