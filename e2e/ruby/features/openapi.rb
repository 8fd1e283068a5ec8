# frozen_string_literal: true

# OpenAPI fixtures (mirrors `e2e/node/src/features/openapi.ts` and
# `e2e/python/features/openapi.py`): an app of several routes, a request for one of the
# documents or docs pages, and the expected response.
#
# The app is described under `handler.middleware.openapi`: `config` (the `OpenApiConfig`;
# omitted: defaults; `null`: no OpenAPI at all), `server` (other `ServerConfig` settings)
# and `routes` (route specs with the documentation keys), registered through
# `app.route(...)` (an SSE route, `kind: "sse"`, emits no event) or `app.websocket(...)`
# (a WebSocket route echoes text messages, as Python's `_echo`). A route's `handler_name`
# is given as the route option `handler_name` (a Ruby block has no name of its own, as a
# Python function or a named JavaScript function has); unnamed routes are given none.

require_relative "../compare"
require_relative "../fixture"
require_relative "../json"
require_relative "../spikard"

module E2E
  module Features
    module Openapi
      ROUTE_KEYS = %w[
        parameters body_schema content_type middleware event_schema tags summary description
        operation_id deprecated include_in_schema response_schema responses status_code
      ].freeze
      WS_KEYS = %w[message_schema event_schema tags summary description operation_id deprecated include_in_schema].freeze

      module_function

      def section(f)
        Json.obj(Json.get(f.handler["middleware"], "openapi"))
      end

      # The route options of `route` among `keys` (null ones left out), its `handler_name`.
      def options_of(route, keys)
        options = {}
        keys.each do |k|
          v = Json.get(route, k)
          options[k.to_sym] = v unless v.nil?
        end
        name = Json.str(Json.get(route, "handler_name"))
        options[:handler_name] = name if name
        options
      end

      # The app a fixture's `handler.middleware.openapi` section describes.
      def build_app(sec)
        config = (Json.obj(sec["server"]) || {}).transform_keys(&:to_sym)
        config[:openapi] = sec.key?("config") ? sec["config"] : {}
        app = Spikard::App.new(**config)
        routes = Json.arr(sec["routes"]) || []
        routes.each_with_index do |route, i|
          path = [Json.str(Json.get(route, "route")), Json.str(Json.get(route, "path"))].find { |p| p && !p.empty? } || ""
          kind = (Json.str(Json.get(route, "kind")) || "http").downcase
          begin
            if %w[websocket ws].include?(kind)
              register_websocket(app, path, options_of(route, WS_KEYS))
            else
              method = (Json.str(Json.get(route, "method")) || "GET").upcase
              options = options_of(route, ROUTE_KEYS)
              if kind == "sse"
                app.route(method, path, **options, kind: "sse") { |_req| Spikard::EventSourceResponse.new([]) }
              else
                app.route(method, path, **options) { |_req| { "handler_called" => true } }
              end
            end
          rescue StandardError => e
            raise "openapi.routes[#{i}] registration failed: #{e.message}"
          end
        end
        app
      end

      # Python's `_echo`: each text message back as it came (a validated one is JSON).
      def register_websocket(app, path, options)
        validated = options.key?(:message_schema)
        app.websocket(path, **options) do |ws|
          ws.on_message do |data|
            raise TypeError, "expected a text message, got a binary one" if data.is_a?(String) && data.encoding == Encoding::BINARY

            validated ? ws.send_json(data) : ws.send_text(data)
          end
        end
      end

      # Play an OpenAPI fixture (its problems), or nil when the fixture is not one.
      def play(f, app_answers)
        sec = section(f)
        return nil if sec.nil?

        begin
          client = Spikard::TestClient.new(build_app(sec))
        rescue StandardError => e
          return [e.message]
        end
        begin
          Compare.compare(f, Fixtures.send_request(client, f.request), app_answers)
        ensure
          client.close
        end
      end
    end
  end
end
