# frozen_string_literal: true

require_relative "test_helper"

ITEM = { type: "object", required: ["name"], properties: { name: { type: "string", minLength: 1 } } }.freeze

class AppTest < Minitest::Test
  def setup
    @app = Spikard::App.new
  end

  def client = Spikard::TestClient.new(@app)

  def test_path_and_query_parameters_are_coerced
    @app.get "/users/{id:int}", query: { verbose: { type: "boolean", default: false } } do |req|
      { id: req.path_params[:id], verbose: req.query[:verbose] }
    end
    assert_equal({ "id" => 5, "verbose" => true }, client.get("/users/5", query: { verbose: "true" }).json)
    assert_equal({ "id" => 5, "verbose" => false }, client.get("/users/5").json)
    assert_equal 422, client.get("/users/x").status
  end

  def test_a_body_is_validated_by_the_core
    @app.post("/items", body: ITEM) { |req| Spikard::Response.new(status: 201, body: req.body) }
    ok = client.post("/items", json: { name: "pen" })
    assert_equal [201, { "name" => "pen" }], [ok.status, ok.json]
    bad = client.post("/items", json: { name: "" })
    assert_equal 422, bad.status
    assert_equal %w[body name], bad.json["errors"][0]["loc"]
    assert_equal "application/problem+json", bad.headers["content-type"]
  end

  def test_results_become_responses
    @app.get("/text") { "hi" }
    @app.get("/bytes") { "\x00\x01".b }
    @app.get("/none") { Spikard::Response.new(status: 204) }
    @app.get("/cookie") { Spikard::Response.new(body: { ok: true }).set_cookie("sid", "1", http_only: true) }
    assert_equal ["text/plain; charset=utf-8", "hi"], [client.get("/text").headers["content-type"], client.get("/text").body]
    assert_equal ["application/octet-stream", "\x00\x01".b], [client.get("/bytes").headers["content-type"], client.get("/bytes").body]
    assert_equal [204, ""], [client.get("/none").status, client.get("/none").body]
    assert_equal ["sid=1; HttpOnly"], client.get("/cookie").header_values("set-cookie")
  end

  def test_errors_map_to_problems_and_leak_nothing
    @app.get("/missing") { raise Spikard::HTTPError.new(404, "No such item", headers: { "x-why" => "gone" }, hint: "ask") }
    @app.get("/boom") { raise "database password is hunter2" }
    missing = client.get("/missing")
    assert_equal [404, "No such item", "ask", "gone"],
                 [missing.status, missing.json["detail"], missing.json["hint"], missing.headers["x-why"]]
    boom = client.get("/boom")
    assert_equal 500, boom.status
    refute_includes boom.text, "hunter2"
    assert_equal 200, client.get("/missing").then { 200 } # the server keeps serving
  end

  def test_dependencies_are_keyword_arguments
    log = []
    @app.provide :store, Spikard::Provide.new(lifetime: :singleton) { [] }
    @app.provide :db, Spikard::Provide.new { |&use|
      log << :open
      begin
        use.call(:conn)
      rescue Spikard::HTTPError => e
        log << :"rollback_#{e.status}"
        raise
      ensure
        log << :close
      end
    }
    @app.get("/count") { |_req, store:, db:| (store << db).length }
    @app.get("/fail") { |_req, db:| raise Spikard::HTTPError.new(409, db.to_s) }
    assert_equal [1, 2], [client.get("/count").json, client.get("/count").json]
    assert_equal 409, client.get("/fail").status
    assert_equal %i[open close open close open rollback_409 close], log
  end

  def test_hooks_answer_early_and_change_responses
    @app.on_request { |req| Spikard::Response.new(status: 401, body: { error: "no" }) unless req.headers["authorization"] }
    @app.on_response { |res| res.headers["x-seen"] = "ok" }
    @app.on_error { |res| res.status == 401 ? Spikard::Response.new(status: 403, body: "replaced") : nil }
    @app.get("/") { { ok: true } }
    denied = client.get("/")
    assert_equal [403, "replaced", nil], [denied.status, denied.body, denied.headers["x-seen"]]
    allowed = client.get("/", headers: { "authorization" => "Bearer x" })
    assert_equal [200, { "ok" => true }, "ok"], [allowed.status, allowed.json, allowed.headers["x-seen"]]
  end

  def test_streams_and_server_sent_events
    @app.get("/stream") { Spikard::StreamingResponse.new(%w[a b c].each, content_type: "text/plain") }
    @app.get("/events") { Spikard::EventSourceResponse.new([{ event: "tick", data: "1" }, { data: { n: 2 } }, "plain"]) }
    assert_equal "abc", client.get("/stream").body
    events = client.stream("GET", "/events").events
    assert_equal [{ "event" => "tick", "data" => "1" }, { "data" => '{"n":2}' }, { "data" => "plain" }], events
  end

  def test_websockets_echo_json
    @app.websocket("/ws") { |ws| ws.on_message { |m| ws.send_json({ "echo" => m }) } }
    ws = client.websocket("/ws")
    ws.send_text("hello")
    assert_equal({ "echo" => "hello" }, ws.receive_json)
    ws.close
  end

  def test_background_tasks_run_after_the_response
    done = Queue.new
    @app.post("/jobs") { |req| req.add_task { done << :ran }; { queued: true } }
    assert_equal 200, client.post("/jobs").status
    assert_equal :ran, pop_within(done)
  end

  def test_a_conflicting_route_is_a_route_error
    @app.get("/a/{id}") { nil }
    assert_raises(Spikard::RouteError) { @app.get("/a/{id}") { nil } }
  end
end

# Results are written as JSON natively for the core types, through `to_json` otherwise.
class JsonResultTest < Minitest::Test
  Point = Struct.new(:x, :y) do
    def to_json(*args) = { "x" => x, "y" => y }.to_json(*args)
  end

  def test_values_round_trip_exactly
    value = { "text" => "héllo \"q\" \u0001", sym: :ok, 1 => [1, -2, 2**70, 0.1, 1e20, true, false, nil],
              "nested" => { "a" => [{ "b" => [] }, {}] } }
    app = Spikard::App.new
    app.get("/") { value }
    app.get("/point") { { "p" => Point.new(1, 2), "at" => "now" } }
    client = Spikard::TestClient.new(app)
    expected = { "text" => "héllo \"q\" \u0001", "sym" => "ok", "1" => [1, -2, 2**70, 0.1, 1e20, true, false, nil],
                 "nested" => { "a" => [{ "b" => [] }, {}] } }
    assert_equal expected, client.get("/").json
    assert_equal({ "p" => { "x" => 1, "y" => 2 }, "at" => "now" }, client.get("/point").json)
  ensure
    client&.close
  end

  def test_a_value_json_cannot_hold_is_a_500_problem
    app = Spikard::App.new
    app.get("/nan") { { "v" => Float::NAN } }
    client = Spikard::TestClient.new(app)
    assert_equal 500, client.get("/nan").status
  ensure
    client&.close
  end

  def test_a_file_response_is_answered_by_the_core
    app = Spikard::App.new
    client = nil
    Dir.mktmpdir do |dir|
      path = File.join(dir, "data")
      File.binwrite(path, "id,name\n1,ada\n")
      app.get("/report") { Spikard::FileResponse.new(path, filename: "report.csv") }
      app.get("/notes") { Spikard::FileResponse.new(path, content_type: "text/plain", filename: "n.txt", disposition: :inline) }
      app.get("/gone") { Spikard::FileResponse.new(File.join(dir, "nope")) }
      client = Spikard::TestClient.new(app)
      res = client.get("/report")
      assert_equal [200, "id,name\n1,ada\n", "text/csv"], [res.status, res.body, res.headers["content-type"]]
      assert_equal 'attachment; filename="report.csv"', res.headers["content-disposition"]
      part = client.get("/report", headers: { "range" => "bytes=8-12" })
      assert_equal [206, "1,ada", "bytes 8-12/14"], [part.status, part.body, part.headers["content-range"]]
      assert_equal 304, client.get("/report", headers: { "if-none-match" => res.headers["etag"] }).status
      notes = client.get("/notes")
      assert_equal ["text/plain", 'inline; filename="n.txt"'], [notes.headers["content-type"], notes.headers["content-disposition"]]
      assert_equal 500, client.get("/gone").status
    end
    assert_raises(ArgumentError) { Spikard::FileResponse.new("x", disposition: :sideways) }
  ensure
    client&.close
  end
end
