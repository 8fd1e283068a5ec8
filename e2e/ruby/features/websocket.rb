# frozen_string_literal: true

# WebSocket message fixtures (`channel`, `protocol`, `schema`, `examples`; no request),
# played through the package's WebSocket API rule for rule as
# `e2e/node/src/features/websocket.ts` and `play_websocket` in
# `e2e/python/features/realtime.py` (and `check_websocket` in
# `e2e/rust/src/features/realtime.rs`) play them:
#
# - a route (`app.websocket`, with `schema` as its `message_schema` and the fixture's
#   `max_message_size`) echoing every message that reaches its block as it came (text as
#   text, bytes as bytes, a validated JSON message as its JSON text);
# - each example is sent: one that validates (as the core's validator says, through a
#   route with the schema as its body schema) must come back, one that does not must get
#   the validation error frame;
# - a message derived from the schema (the first required field dropped, else a value of
#   another type) must get the error frame (with a `missing` entry for the dropped
#   field), and the connection must stay usable;
# - project extension: `exchanges` (`send` JSON / `send_text` / `send_binary_base64`,
#   then the `expect` JSON reply, `expect_text`, `expect_binary_base64` or `expect_close`
#   code);
# - when nothing failed and no exchange expects a close, closing with 1000 must get the
#   close reply 1000.
#
# Messages are sent as the fixture's JSON text (lossless: `1.0` stays a float). The
# other runners wait for a reply as long as it takes; here a reply that does not come
# within REPLY_TIMEOUT seconds fails the fixture (instead of hanging the run).

require_relative "../json"
require_relative "../spikard"
require_relative "realtime"

module E2E
  module Features
    module Websocket
      # How long a reply may take before the fixture fails, in seconds.
      REPLY_TIMEOUT = 5

      class NoReply < StandardError; end

      WRONG = {
        "object" => [], "array" => {}, "string" => 0, "integer" => "not of the schema's type",
        "number" => "not of the schema's type", "boolean" => "not of the schema's type", "null" => "not of the schema's type"
      }.freeze

      module_function

      # The next frame (a Hash, nil once the connection is gone); NoReply when none comes in time.
      def receive(ws)
        waiter = Thread.new { ws.receive }
        waiter.report_on_exception = false
        raise NoReply, "no frame within #{REPLY_TIMEOUT * 1000} ms" if waiter.join(REPLY_TIMEOUT).nil?

        waiter.value
      end

      def byte_list(data)
        "[#{data.to_s.bytes.join(', ')}]"
      end

      # A frame as the problems show it.
      def shown(frame)
        case frame && frame[:type]
        when :text then "text #{Json.quote(frame[:data].to_s)}"
        when :binary, :pong then "#{frame[:type] == :binary ? 'bytes' : 'pong'} #{byte_list(frame[:data])}"
        when :close then "close #{frame[:code]} #{Json.quote(frame[:reason].to_s)}"
        else "the end of the connection"
        end
      end

      # A text frame's JSON (ABSENT for any other frame or text that is not JSON).
      def frame_json(frame)
        return Json::ABSENT unless frame && frame[:type] == :text

        Json.parse(frame[:data].to_s)
      rescue Json::SyntaxError
        Json::ABSENT
      end

      def same?(got, want)
        !got.equal?(Json::ABSENT) && Json.equal?(got, want)
      end

      # Whether a frame is the validation error frame (with a `missing` entry for `field`).
      def validation_frame?(frame, field)
        typed = frame.is_a?(Hash) && %w[type title status].all? { |k| frame.key?(k) } &&
                Json.equal?(frame["type"], "https://spikard.dev/errors/validation-error") && Json.equal?(frame["status"], 422)
        return typed if !typed || field.nil?

        errors = Json.arr(frame["errors"])
        !errors.nil? && errors.any? { |e| e.is_a?(Hash) && Json.equal?(e["type"], "missing") && Json.equal?(e["loc"], ["body", field]) }
      end

      # A message the schema refuses, derived from it: an example without a required field
      # (with that field's name), or a value of another type.
      def invalid_message(schema, example)
        required = Json.arr(Json.get(schema, "required"))
        if example.is_a?(Hash) && required
          field = required.find { |r| r.is_a?(String) && example.key?(r) }
          return [example.reject { |k, _| k == field }, field] if field
        end
        kind = Json.str(Json.get(schema, "type"))
        return nil if kind.nil? || !WRONG.key?(kind)

        [WRONG[kind], nil]
      end

      # Strict, canonical base64 (as the Rust runner's decoder): nil when the text is not.
      def base64(text)
        return nil if (text.length % 4) != 0 || !text.match?(%r{\A[A-Za-z0-9+/]*={0,2}\z})

        bytes = text.unpack1("m")
        [bytes].pack("m0") == text ? bytes : nil
      end

      # A client of an app whose WebSocket route at `pattern` echoes every accepted message
      # as it came (or the problem).
      def websocket_client(f, pattern)
        schema = f.data["schema"]
        max_size = f.data["max_message_size"]
        options = {}
        options[:message_schema] = schema unless schema.nil?
        options[:max_message_size] = max_size if max_size.is_a?(Integer)
        validated = options.key?(:message_schema)
        app = Spikard::App.new
        app.websocket(pattern, **options) do |ws|
          # With a message schema every message is parsed JSON: sent back as JSON text (a
          # JSON string too); without one a String is a text frame, a binary String a binary one.
          ws.on_message do |data|
            if validated then ws.send_json(data)
            elsif data.is_a?(String) && data.encoding == Encoding::BINARY then ws.send_bytes(data)
            else ws.send_text(data)
            end
          end
        end
        Spikard::TestClient.new(app)
      rescue StandardError => e
        "WebSocket route #{pattern}: #{e.message}"
      end

      # Play a WebSocket message fixture: its problems.
      def play(f)
        begin
          valid = Realtime.schema_check(f)
        rescue StandardError => e
          return ["fixture schema: #{e.message}"]
        end
        pattern, path = Realtime.channel(f, "/ws")
        client = websocket_client(f, pattern)
        return [client] if client.is_a?(String)

        begin
          ws = client.websocket(path)
        rescue Spikard::TestClient::Refused => e
          return ["upgrade of #{path} refused: #{e.response.status} #{e.response.text}"]
        rescue StandardError => e
          return ["upgrade of #{path} failed: #{e.message}"]
        end
        out = []
        begin
          converse(f, ws, valid, out)
        rescue NoReply => e
          out << e.message
        rescue StandardError => e
          out << "the connection failed: #{e.message}"
        end
        out
      end

      def converse(f, ws, valid, out)
        examples = Json.arr(f.data["examples"]) || []
        examples.each_with_index do |example, i|
          begin
            ws.send_text(Json.dump(example))
          rescue StandardError => e
            out << "example #{i}: could not send: #{e.message}"
            return
          end
          reply = receive(ws)
          ok = valid.nil? || valid.call(example)
          got = frame_json(reply)
          out << "example #{i}: reply #{shown(reply)}, expected the message back" if ok && !same?(got, example)
          if !ok && !validation_frame?(got, nil)
            out << "example #{i} does not validate against the schema: expected the error frame, got #{shown(reply)}"
          end
        end
        schema = f.data["schema"]
        out.concat(invalid_message_check(ws, schema, examples, valid)) unless schema.nil?
        out.concat(exchanges(f, ws))
        list = Json.arr(f.data["exchanges"])
        expects_close = !list.nil? && list.any? { |x| x.is_a?(Hash) && x.key?("expect_close") }
        return unless out.empty? && !expects_close

        ws.close(1000, "done")
        reply = receive(ws)
        out << "closing: expected the close reply 1000, got #{shown(reply)}" unless reply && reply[:type] == :close && reply[:code] == 1000
      end

      def invalid_message_check(ws, schema, examples, valid)
        out = []
        index = examples.index { |e| valid.nil? || valid.call(e) }
        found = !index.nil?
        first_valid = found ? examples[index] : nil
        derived = invalid_message(schema, found ? first_valid : examples.first)
        return out if derived.nil? || valid.nil? || valid.call(derived[0])

        msg, field = derived
        ws.send_text(Json.dump(msg))
        reply = receive(ws)
        out << "invalid message #{Json.dump(msg)}: expected the error frame, got #{shown(reply)}" unless validation_frame?(frame_json(reply), field)
        if found
          ws.send_text(Json.dump(first_valid))
          out << "the connection did not stay usable after the error frame" unless same?(frame_json(receive(ws)), first_valid)
        end
        out
      end

      # What an exchange sends: its problem when it cannot.
      def send_exchange(ws, x)
        text = Json.str(x["send_text"])
        binary = Json.str(x["send_binary_base64"])
        if x.key?("send") then ws.send_text(Json.dump(x["send"]))
        elsif text then ws.send_text(text)
        elsif binary
          bytes = base64(binary)
          raise ArgumentError, "invalid base64: #{Json.quote(binary)}" if bytes.nil?

          ws.send_bytes(bytes)
        else raise ArgumentError, "nothing to send"
        end
      end

      def exchanges(f, ws)
        out = []
        list = Json.arr(f.data["exchanges"])
        return out if list.nil?

        list.each_with_index do |item, i|
          x = item.is_a?(Hash) ? item : {}
          begin
            send_exchange(ws, x)
          rescue StandardError => e
            out << "exchange #{i}: #{e.message}"
            break
          end
          reply = receive(ws)
          out.concat(check_reply(i, x, reply))
        end
        out
      end

      def check_reply(index, x, reply)
        expect_text = Json.str(x["expect_text"])
        expect_binary = Json.str(x["expect_binary_base64"])
        if x.key?("expect_close")
          code = x["expect_close"]
          ok = reply && reply[:type] == :close && code.is_a?(Integer) && reply[:code] == code
          return ok ? [] : ["exchange #{index}: expected close #{Json.dump(code)}, got #{shown(reply)}"]
        end
        if expect_text
          ok = reply && reply[:type] == :text && reply[:data] == expect_text
          return ok ? [] : ["exchange #{index}: reply #{shown(reply)} != expected text #{Json.quote(expect_text)}"]
        end
        if expect_binary
          want = base64(expect_binary)
          return ["exchange #{index}: expect_binary_base64 is not base64: #{Json.quote(expect_binary)}"] if want.nil?

          ok = reply && reply[:type] == :binary && reply[:data].to_s.b == want.b
          return ok ? [] : ["exchange #{index}: reply #{shown(reply)} != expected bytes #{byte_list(want)}"]
        end
        return [] if !x.key?("expect") || same?(frame_json(reply), x["expect"])

        ["exchange #{index}: reply #{shown(reply)} != expected #{Json.dump(x['expect'])}"]
      end
    end
  end
end
