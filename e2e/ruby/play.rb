# frozen_string_literal: true

# Playing one fixture through the public API (mirrors `e2e/node/src/play.ts`,
# `e2e/python/play.py` and `e2e/rust/src/play.rs`): a `Spikard::App` with one route
# described by the fixture's `handler` (its schemas passed as route options), whose
# handler answers as the fixture's application would; the fixture's request sent with the
# `Spikard::TestClient`; the response compared.

require_relative "answer"
require_relative "compare"
require_relative "features"
require_relative "fixture"
require_relative "json"
require_relative "known"
require_relative "spikard"

module E2E
  module Play
    SPEC_KEYS = %w[
      body_schema body_optional content_type max_body_size max_nesting_depth middleware cors response_model response_schema status_code
    ].freeze

    module_function

    # `[method, path, route options]` from the fixture's `handler`.
    def route_of(f)
      handler = f.handler.key?("route") ? f.handler : {}
      # A route is a path: a query string written into `handler.route` describes the request, not the route.
      raw = [Json.str(handler["route"]), Json.str(handler["path"])].find { |p| p && !p.empty? } || ""
      path = raw.partition("?").first
      path = Fixtures.decode_path(Fixtures.route_path(f.request)) if path.empty?
      method = [Json.str(handler["method"]), Json.str(f.request["method"])].find { |m| m && !m.empty? } || "GET"
      options = {}
      SPEC_KEYS.each do |k|
        v = handler[k]
        options[k.to_sym] = v unless v.nil?
      end
      parameters = handler["parameters"]
      options[:parameters] = parameters if parameters.is_a?(Hash)
      [method.upcase, path, options]
    end

    # Server settings a fixture gives on its handler: `max_header_size` is checked before
    # routing, so it is a server setting here (one route per fixture). `max_uri_length` is
    # not read: a 414 is the application's answer in `status_codes`.
    def server_config(f)
      limit = Json.uint(f.handler["max_header_size"])
      limit.nil? ? {} : { max_header_size: limit }
    end

    def default_handler(f)
      app_answers = Answers.application_answers?(f)
      keep_headers = !Answers.configures_middleware?(f)
      expected = f.expected
      sleep_ms = Features::Timing.hint(f, "request_timeout", "sleep_ms")
      if sleep_ms
        # The handler takes time, so the request deadline is exercised for real (no headers kept).
        return proc do |_req|
          Features::Timing.sleep_ms(sleep_ms)
          app_answers ? Answers.app_response(expected, false) : { "handler_called" => true }
        end
      end
      if f.handler.key?("returns")
        # What the handler returns, checked by the route's response model (a JSON Schema).
        returns = f.handler["returns"]
        return proc { |_req| returns }
      end
      proc { |_req| app_answers ? Answers.app_response(expected, keep_headers) : { "handler_called" => true } }
    end

    # Play one fixture; its differences (none when it passes).
    def play(f)
      app_answers = Answers.application_answers?(f)
      whole = Features.play_without_request(f, app_answers)
      return whole if whole

      method, path, options = route_of(f)
      begin
        app = Spikard::App.new(**server_config(f))
        fallback = default_handler(f)
        built = Features.build_route(f, app, fallback)
        handler = built&.handler || fallback
        app.route(method, path, **options.merge(built&.options || {}), &handler)
      rescue StandardError => e
        return ["route registration failed: #{e.message}"]
      end
      begin
        client = Spikard::TestClient.new(app)
      rescue StandardError => e
        return ["app did not build: #{e.message}"]
      end
      begin
        problems = Features::Timing.warmup(f, client)
        problems.concat(Compare.compare(f, Fixtures.send_request(client, f.request), app_answers))
        Features.after_checks(f).each { |check| problems.concat(check.call(client)) }
        problems
      ensure
        client.close
      end
    end

    def outcome(f)
      problems = play(f)
      Outcome.new(problems.empty?, problems)
    rescue StandardError, ScriptError, SystemStackError => e
      Outcome.new(false, ["runner error: #{e.class}: #{e.message}\n#{e.backtrace&.first(8)&.join("\n")}"])
    end
  end
end
