# frozen_string_literal: true

# SSE and WebSocket message fixtures (`channel`, `protocol`, `schema`, `examples`; no
# request), recognised as `e2e/node/src/features/realtime.ts` and
# `e2e/python/features/realtime.py` do. SSE channels are played through the package
# (mirroring `play_sse` there and `e2e/rust/src/features/realtime.rs`):
#
# - a route (`kind: "sse"`, with `schema` as its `event_schema`) emitting every example as
#   an event (JSON data, named after the fixture) through `Spikard::EventSourceResponse`;
#   each received event's data must equal its example. The framework ends the stream at
#   the first example that breaks the schema, so only the examples before it may arrive
#   (validity is asked of the core, through a route with the schema as its body schema).
# - project extension: `sse_events` (events to emit: `event`, `id`, `data` (string or
#   JSON), `retry`, `comment`) with `expected_body` (the exact stream), and
#   `keep_alive_ms` (after the events, a keep-alive comment must follow).
#
# The stream is read as it arrives (`TestClient#stream`, its `each_chunk`): event blocks
# one by one, exactly as sent (each with its blank line), then the keep-alive comment. A
# keep-alive stream stays open, quiet after its events, until the client leaves: the
# runner closes the stream as a client would, and then ends the events' wait (Ruby's
# Enumerables have no `return()` the core could call, as it does for JavaScript's
# iterators).
#
# WebSocket channels are played by `websocket.rb` (`Websocket.play`).

require_relative "../fixture"
require_relative "../json"
require_relative "../spikard"

module E2E
  module Features
    module Realtime
      # One parsed `text/event-stream` block: `data` lines joined with `\n`, comments listed.
      Block = Struct.new(:event, :id, :data, :retry, :comments)

      module_function

      def protocol(f)
        return nil if f.data.key?("request")

        named = Json.str(f.data["protocol"]).to_s
        named = (named.empty? ? f.category : named).downcase
        return "sse" if %w[sse server-sent-events].include?(named)
        return "websocket" if %w[websocket websockets ws wss].include?(named)

        nil
      end

      # The channel as a route pattern and as a concrete path (`{param}` filled in).
      def channel(f, fallback)
        raw = Json.str(f.data["channel"]).to_s
        pattern = if raw.empty? then fallback
                  elsif raw.start_with?("/") then raw
                  else "/#{raw}"
                  end
        [pattern, pattern.gsub(/\{[^}]*\}/, "sample")]
      end

      def message(error)
        error.message
      end

      # Whether a value satisfies the fixture's `schema`, as the core's validator says (nil
      # without a schema). Raises when the schema cannot be compiled.
      def schema_check(f)
        schema = f.data["schema"]
        return nil if schema.nil?

        app = Spikard::App.new
        app.post("/check", body_schema: schema) { |_req| { "ok" => true } }
        client = Spikard::TestClient.new(app)
        ->(value) { client.post("/check", headers: { "content-type" => "application/json" }, body: Json.dump(value)).status == 200 }
      end

      # An `sse_events` entry as the event the handler emits.
      def event_of(spec)
        m = Json.obj(spec) || {}
        data = m["data"]
        event = {}
        event[:data] = data.is_a?(String) ? data : Json.dump(data) unless data.nil?
        %w[event id].each { |key| event[key.to_sym] = m[key] if m[key].is_a?(String) }
        event[:retry] = m["retry"] if m["retry"].is_a?(Integer)
        event[:comment] = m["comment"] if m["comment"].is_a?(String)
        event
      end

      def parse_block(block)
        parsed = Block.new(nil, nil, nil, nil, [])
        block.split("\n").each do |line|
          next if line.empty?

          if line.start_with?(":")
            parsed.comments << line[1..].delete_prefix(" ")
            next
          end
          field, value = line.include?(":") ? line.split(":", 2) : [line, ""]
          value = value.delete_prefix(" ")
          case field
          when "data" then parsed.data = parsed.data.nil? ? value : "#{parsed.data}\n#{value}"
          when "event" then parsed.event = value
          when "id" then parsed.id = value
          when "retry" then parsed.retry = value.match?(/\A[0-9]+\z/) ? value.to_i : nil
          end
        end
        parsed
      end

      # A block as the problems show it.
      def shown_block(block)
        return "None" if block.nil?

        "{event: #{block.event.inspect}, id: #{block.id.inspect}, data: #{block.data.inspect}, retry: #{block.retry.inspect}, comments: #{block.comments.inspect}}"
      end

      # The fixture's problems when it is a message fixture, else nil.
      def play(f)
        case protocol(f)
        when "sse" then play_sse(f)
        when "websocket" then Websocket.play(f)
        end
      end

      # The event blocks of a `Spikard::TestStream`, read as they arrive.
      class EventReader
        def initialize(stream)
          @chunks = stream.enum_for(:each_chunk)
          @buffer = +"".b
        end

        # The next event block exactly as sent (with its blank line); nil at the end.
        def next_block
          loop do
            at = @buffer.index("\n\n")
            return @buffer.slice!(0, at + 2).force_encoding(Encoding::UTF_8) if at

            @buffer << @chunks.next.b
          end
        rescue StopIteration
          nil
        end
      end

      # What the route's handler returns the events of: each event, then (for a keep-alive
      # stream) quiet until `leave` is called.
      class Emitter
        include Enumerable

        def initialize(events, keep_alive)
          @events = events
          @keep_alive = keep_alive
          @left = false
          @lock = Mutex.new
          @gone = ConditionVariable.new
        end

        def each(&block)
          @events.each(&block)
          @lock.synchronize { @gone.wait(@lock) until @left } if @keep_alive
          self
        end

        # The client left: end the wait.
        def leave
          @lock.synchronize do
            @left = true
            @gone.broadcast
          end
        end
      end

      def play_sse(f)
        begin
          valid = schema_check(f)
        rescue StandardError => e
          return ["fixture schema: #{message(e)}"]
        end
        examples = Json.arr(f.data["examples"]) || []
        name = Json.str(f.data["name"])
        specs = Json.arr(f.data["sse_events"])
        events =
          if specs then specs.map { |s| event_of(s) }
          else examples.map { |e| name.nil? ? { data: Json.dump(e) } : { data: Json.dump(e), event: name } }
          end
        keep_alive = f.data["keep_alive_ms"].is_a?(Integer) ? f.data["keep_alive_ms"] : nil
        pattern, path = channel(f, "/events")
        emitter = Emitter.new(events, keep_alive)
        client = sse_client(f, pattern, emitter, keep_alive)
        return [client] if client.is_a?(String)

        res = client.stream("GET", path)
        begin
          read_sse(f, res, path, events, examples, specs, keep_alive, valid)
        ensure
          # Leave as a client would (the server stops pulling events); a keep-alive stream never ends by itself.
          res.close
          emitter.leave
        end
      end

      # The problems of the event stream `res` (read as it arrives) of the route emitting `events`.
      def read_sse(f, res, path, events, examples, specs, keep_alive, valid)
        return ["GET #{path}: status #{res.status}"] if res.status != 200

        out = []
        [["content-type", "text/event-stream"], ["cache-control", "no-cache"]].each do |header, want|
          got = res.headers[header]
          out << "header #{header}: #{got.nil? ? 'None' : Json.quote(got)}, expected #{Json.quote(want)}" if got != want
        end
        deliverable = events.length
        if valid && specs.nil?
          deliverable = examples.take_while { |example| valid.call(example) }.length
        end
        reader = EventReader.new(res)
        received = []
        body = +""
        while received.length < deliverable
          block = reader.next_block
          break if block.nil?

          received << parse_block(block)
          body << block
        end
        out << "received #{received.length} events, expected #{deliverable}" if received.length != deliverable
        if deliverable < events.length
          extra = reader.next_block
          out << "example #{deliverable} breaks the schema, yet the stream went on: #{Json.quote(extra)}" unless extra.nil?
        end
        if keep_alive
          raw = reader.next_block
          block = raw && parse_block(raw)
          ok = !block.nil? && block.comments == ["keep-alive"] && block.data.nil?
          out << "expected a keep-alive comment after #{keep_alive} ms, got #{shown_block(block)}" unless ok
        end
        want_body = Json.str(f.data["expected_body"])
        out << "event stream #{Json.quote(body)} != expected #{Json.quote(want_body)}" if want_body && body != want_body
        out.concat(check_examples(received, examples, valid)) if specs.nil?
        out
      end

      # A client of an app whose SSE route at `pattern` emits `emitter`'s events (or the problem).
      def sse_client(f, pattern, emitter, keep_alive)
        app = Spikard::App.new
        options = { kind: "sse" }
        options[:event_schema] = f.data["schema"] unless f.data["schema"].nil?
        begin
          app.get(pattern, **options) do |_req|
            Spikard::EventSourceResponse.new(emitter, keep_alive: keep_alive && (keep_alive / 1000.0))
          end
        rescue StandardError => e
          return "SSE route #{pattern}: #{message(e)}"
        end
        begin
          Spikard::TestClient.new(app)
        rescue StandardError => e
          "app did not build: #{message(e)}"
        end
      end

      # Each received event's data must be its example, valid against the schema.
      def check_examples(received, examples, valid)
        out = []
        [received.length, examples.length].min.times do |i|
          raw = received[i].data
          example = examples[i]
          begin
            # An event without data has the data null.
            data = raw.nil? ? nil : Json.parse(raw)
          rescue Json::SyntaxError
            out << "event #{i}: data #{Json.quote(raw)} is not JSON"
            next
          end
          out << "event #{i}: data #{Json.dump(data)} != example #{Json.dump(example)}" unless Json.equal?(data, example)
          out << "event #{i}: data does not validate against the schema" if valid && !valid.call(data)
        end
        out
      end
    end
  end
end
