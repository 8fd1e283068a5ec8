# frozen_string_literal: true

require "uri"

module Spikard
  # A response of the test client.
  class TestResponse
    attr_reader :status, :header_pairs, :body

    def initialize(status, header_pairs, body)
      @status = status
      @header_pairs = header_pairs
      @body = body
    end

    # Headers by lower-case name; a repeated header's values joined with ", ".
    def headers
      @headers ||= @header_pairs.group_by(&:first).transform_values { |pairs| pairs.map(&:last).join(", ") }
    end

    # Every value of header `name`.
    def header_values(name)
      @header_pairs.select { |k, _| k.casecmp?(name.to_s) }.map(&:last)
    end

    def text = @body.dup.force_encoding(Encoding::UTF_8)
    def json = JSON.parse(text)
  end

  # A response read as it arrives (streams, server-sent events).
  class TestStream
    def initialize(native)
      @native = native
    end

    def status = @native.status
    def header_pairs = @native.headers
    def headers = header_pairs.group_by(&:first).transform_values { |pairs| pairs.map(&:last).join(", ") }

    # Each chunk as it arrives.
    def each_chunk
      return enum_for(:each_chunk) unless block_given?

      while (chunk = @native.next_chunk)
        yield chunk
      end
    end

    # The rest of the body.
    def read = each_chunk.to_a.join.b

    # The next event block exactly as sent (with its blank line); nil at the end.
    def next_event_text = @native.next_event_text

    # The remaining server-sent events as Hashes (`event`, `data`, `id`, `retry`, `comment`).
    def events
      out = []
      while (block = next_event_text)
        out << TestStream.parse_event(block)
      end
      out
    end

    # Stop reading: the server stops the stream, as when the client disconnects.
    def close = @native.close

    # One event block as a Hash.
    def self.parse_event(block)
      event = {}
      block.each_line(chomp: true) do |line|
        next if line.empty?

        field, value = line.start_with?(":") ? ["comment", line[1..]] : line.split(":", 2)
        value = value.to_s.delete_prefix(" ")
        event[field] = field == "data" && event.key?("data") ? "#{event["data"]}\n#{value}" : value
      end
      event
    end
  end

  # The client end of an in-memory WebSocket.
  class TestWebSocket
    def initialize(native)
      @native = native
    end

    def header_pairs = @native.headers
    def send_text(text) = @native.send_text(text.to_s)
    def send_json(value) = @native.send_text(JSON.generate(value))
    def send_bytes(bytes) = @native.send_bytes(bytes.to_s)
    def close(code = 1000, reason = "") = @native.close(Integer(code), reason.to_s)

    # The next frame: `{type: :text|:binary|:pong, data:}` or `{type: :close, code:, reason:}`;
    # nil once the connection is gone.
    def receive
      frame = @native.receive
      return nil if frame.nil?

      type, *rest = frame
      type == :close ? { type: :close, code: rest[0], reason: rest[1] } : { type: type, data: rest[0] }
    end

    # The next text frame's text (raises on any other frame).
    def receive_text
      frame = receive
      raise IOError, "expected a text frame, got #{frame.inspect}" unless frame && frame[:type] == :text

      frame[:data]
    end

    def receive_json = JSON.parse(receive_text)
  end

  # Sends requests through the app's real pipeline in memory.
  class TestClient
    # A refused WebSocket upgrade, with the response that refused it.
    class Refused < StandardError
      attr_reader :response

      def initialize(response)
        super("the WebSocket upgrade was refused with #{response.status}")
        @response = response
      end
    end

    def initialize(app, threads: App::DEFAULT_THREADS)
      @app = app
      @app.start(threads)
      @native = Native::Client.new(app.native)
    end

    App::METHODS.each do |verb|
      define_method(verb) { |path, **options| request(verb.upcase, path, **options) }
    end

    # Stop the app's handler threads (`App#close`).
    def close = @app.close

    # One request: `headers` (a Hash or pairs), `query` (a Hash), `json` (a value sent as
    # JSON) or `body` (a String).
    def request(method, path, headers: nil, query: nil, json: nil, body: nil)
      pairs = Response.pairs(headers)
      if !json.nil?
        body = JSON.generate(json)
        pairs << ["content-type", "application/json"] unless pairs.any? { |k, _| k.casecmp?("content-type") }
      end
      status, header_pairs, bytes = @native.request(method.to_s.upcase, target(path, query), pairs, body&.to_s)
      TestResponse.new(status, header_pairs, bytes)
    end

    # A bodiless request whose response is read as it arrives.
    def stream(method, path, headers: nil, query: nil)
      TestStream.new(@native.stream(method.to_s.upcase, target(path, query), Response.pairs(headers)))
    end

    # Open a WebSocket; a refused upgrade raises `Refused`.
    def websocket(path, headers: nil, query: nil)
      socket = @native.websocket(target(path, query), Response.pairs(headers))
      raise Refused, TestResponse.new(*socket) if socket.is_a?(Array)

      TestWebSocket.new(socket)
    end

    private

    def target(path, query)
      return path.to_s if query.nil? || query.empty?

      "#{path}#{path.to_s.include?("?") ? "&" : "?"}#{URI.encode_www_form(query)}"
    end
  end
end
