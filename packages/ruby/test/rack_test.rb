# frozen_string_literal: true

require_relative "test_helper"
require "net/http"
require "socket"
require "rack"
require "rack/lint"
require "sinatra/base"

# A Sinatra 3 app: routes, params, a JSON body, halt and redirect.
class SinatraShop < Sinatra::Base
  set :environment, :test
  disable :logging, :show_exceptions, :dump_errors

  get("/hello/:name") { "Hello, #{params["name"]}#{params["punct"]}" }

  post "/items" do
    item = JSON.parse(request.body.read)
    halt 422, { "content-type" => "application/json" }, JSON.generate(error: "name missing") unless item["name"]
    status 201
    content_type :json
    JSON.generate(created: item["name"], tags: params["tags"])
  end

  get("/old") { redirect to("/hello/redirected") }
  get("/secret") { halt 403, "forbidden" }
  get("/boom") { raise "boom" }
end

class RackTest < Minitest::Test
  ROOT = File.expand_path("../../..", __dir__)
  BIN = File.join(ROOT, "packages/ruby/bin/spikard-rack")

  # A raw Rack app answering with what it was given (the env without objects, the body).
  ECHO = lambda do |env|
    plain = env.reject { |k, _| k.include?(".") }
    body = JSON.generate(plain.merge("body" => env["rack.input"].read, "url_scheme" => env["rack.url_scheme"],
                                     "multithread" => env["rack.multithread"], "hijack" => env["rack.hijack?"]))
    # Rack 2 joins repeated header values with "\n".
    [201, { "content-type" => "application/json", "set-cookie" => "a=1; Path=/\nb=2", "x-multi" => "one\ntwo" },
     [body]]
  end

  # A body read part by part; `closed` gets a value when it is closed.
  class Parts
    attr_reader :closed

    def initialize(parts, endless: false)
      @parts = parts
      @endless = endless
      @closed = Queue.new
    end

    def each(&block)
      @parts.each(&block)
      loop { block.call("more\n") || sleep(0.01) } if @endless
    end

    def close = @closed << true
  end

  def teardown
    @client&.close
  end

  def client(app) = @client = Spikard::TestClient.new(app)

  def mounted(rack_app, prefix = "/legacy")
    app = Spikard::App.new
    app.get("/native") { { native: true } }
    app.mount(prefix, Rack::Lint.new(rack_app))
  end

  def test_the_env_follows_the_rack_spec
    res = client(mounted(ECHO)).post("/legacy/a%20b/c?x=%zz&y=1+2&y=3", body: "{not json",
                                                                         headers: { "content-type" => "application/json", "x-trace" => "t1", "host" => "shop.test:8080" })
    assert_equal 201, res.status
    env = res.json
    assert_equal "POST", env["REQUEST_METHOD"]
    assert_equal "/legacy", env["SCRIPT_NAME"]
    assert_equal "/a%20b/c", env["PATH_INFO"]
    assert_equal "x=%zz&y=1+2&y=3", env["QUERY_STRING"]
    assert_equal %w[shop.test 8080 HTTP/1.1], env.values_at("SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL")
    assert_equal "application/json", env["CONTENT_TYPE"]
    assert_equal "9", env["CONTENT_LENGTH"]
    assert_equal "t1", env["HTTP_X_TRACE"]
    refute env.key?("HTTP_CONTENT_TYPE")
    assert_equal "{not json", env["body"]
    assert_equal ["http", true, false], env.values_at("url_scheme", "multithread", "hijack")
    assert_equal ["a=1; Path=/", "b=2"], res.header_values("set-cookie")
    assert_equal %w[one two], res.header_values("x-multi")
  end

  def test_the_prefix_itself_and_every_method_reach_the_app
    c = client(mounted(ECHO))
    assert_equal ["/legacy", ""], c.get("/legacy").json.values_at("SCRIPT_NAME", "PATH_INFO")
    assert_equal ["/legacy", "/"], c.get("/legacy/").json.values_at("SCRIPT_NAME", "PATH_INFO")
    %w[PUT PATCH DELETE OPTIONS].each do |method|
      assert_equal method, c.request(method, "/legacy/x").json["REQUEST_METHOD"]
    end
    assert_equal 201, c.head("/legacy/x").status
    assert_equal({ "native" => true }, c.get("/native").json)
    assert_equal 404, c.get("/legacyx").status
  end

  def test_a_whole_app_has_an_empty_script_name
    env = client(Spikard::Rack.app(Rack::Lint.new(ECHO))).get("/", query: { q: "a b" }).json
    assert_equal ["", "/", "q=a+b"], env.values_at("SCRIPT_NAME", "PATH_INFO", "QUERY_STRING")
  end

  def test_rack3_header_arrays_are_repeated_headers
    headers = { "set-cookie" => ["a=1", "b=2"], "vary" => %w[accept origin] }
    res = client(Spikard::Rack.app(->(_env) { [204, headers, []] })).get("/x")
    assert_equal 204, res.status
    assert_equal %w[a=1 b=2], res.header_values("set-cookie")
    assert_equal %w[accept origin], res.header_values("vary")
    assert_empty res.body
  end

  def test_a_body_that_is_not_an_array_is_streamed_and_closed
    body = Parts.new(%w[one- two- three])
    res = client(mounted(->(_env) { [200, { "content-type" => "text/plain" }, body] })).get("/legacy/s")
    assert_equal "one-two-three", res.text
    assert pop_within(body.closed), "the body was closed"
  end

  def test_a_streamed_body_is_closed_when_the_client_leaves
    body = Parts.new(["first\n"], endless: true)
    stream = client(mounted(->(_env) { [200, {}, body] })).stream("GET", "/legacy/forever")
    assert_equal 200, stream.status
    assert_equal "first\n", stream.each_chunk.first
    stream.close
    assert pop_within(body.closed), "the body was closed after the client left"
  end

  def test_an_array_body_is_closed_and_an_exception_is_a_500_problem
    closed = Queue.new
    body = %w[a b]
    body.define_singleton_method(:close) { closed << true }
    c = client(mounted(lambda do |env|
      raise "app failure" if env["PATH_INFO"] == "/fail"

      [200, {}, body]
    end))
    assert_equal "ab", c.get("/legacy/ok").text
    assert pop_within(closed)
    res = c.get("/legacy/fail")
    assert_equal 500, res.status
    assert_equal "application/problem+json", res.headers["content-type"]
    refute_includes res.text, "app failure"
  end

  def test_sinatra_served_whole
    c = client(Spikard::Rack.app(Rack::Lint.new(SinatraShop)))
    assert_equal "Hello, ann!", c.get("/hello/ann", query: { punct: "!" }).text
    res = c.post("/items?tags=a", json: { name: "pen" })
    assert_equal 201, res.status
    assert_equal({ "created" => "pen", "tags" => "a" }, res.json)
    assert_equal 422, c.post("/items", json: {}).status
    assert_equal [403, "forbidden"], c.get("/secret").then { |r| [r.status, r.text] }
    res = c.get("/old", headers: { "host" => "shop.test" })
    assert_equal 302, res.status
    assert_equal "http://shop.test/hello/redirected", res.headers["location"]
    assert_equal 404, c.get("/nope").status
    assert_equal 500, c.get("/boom").status
  end

  def test_sinatra_mounted_beside_native_routes
    app = Spikard::App.new(compression: { gzip: true, min_size: 1 })
    app.get("/api/status") { { ok: true } }
    app.mount("/shop", SinatraShop)
    c = client(app)
    assert_equal({ "ok" => true }, c.get("/api/status").json)
    assert_equal "Hello, bob", c.get("/shop/hello/bob").text
    res = c.get("/shop/old", headers: { "host" => "127.0.0.1:3000" })
    assert_equal "http://127.0.0.1:3000/shop/hello/redirected", res.headers["location"]
    assert_equal 201, c.post("/shop/items", json: { name: "cup" }).status
  end

  def test_the_executable_serves_a_config_ru_until_sigterm
    port = TCPServer.open("127.0.0.1", 0) { |s| s.addr[1] }
    config = File.join(ROOT, "tools/benchmark-harness/apps/ruby/sinatra.ru")
    pid = Process.spawn(RbConfig.ruby, BIN, "-p", port.to_s, "-t", "2", config, out: File::NULL, err: File::NULL)
    begin
      res = wait_for(port, "/json")
      assert_equal 200, res.code.to_i
      assert_equal({ "message" => "hello", "id" => 1, "ok" => true }, JSON.parse(res.body))
      posted = Net::HTTP.post(URI("http://127.0.0.1:#{port}/echo/raw"), '{"a":[1,2]}', "content-type" => "application/json")
      assert_equal({ "a" => [1, 2] }, JSON.parse(posted.body))
      Process.kill("TERM", pid)
      assert Timeout.timeout(20) { Process.wait(pid) }, "spikard-rack exited"
      pid = nil
    ensure
      if pid
        Process.kill("KILL", pid)
        Process.wait(pid)
      end
    end
  end

  private

  def wait_for(port, path)
    deadline = Time.now + 30
    begin
      Net::HTTP.get_response(URI("http://127.0.0.1:#{port}#{path}"))
    rescue Errno::ECONNREFUSED, Errno::ECONNRESET, EOFError
      raise if Time.now > deadline

      sleep 0.1
      retry
    end
  end
end
