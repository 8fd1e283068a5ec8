# frozen_string_literal: true

# Fixtures with a `streaming` section (mirrors `e2e/node/src/features/streaming.ts` and
# `e2e/python/features/streaming.py`): the handler streams the given chunks
# (`{"type": "text", "value"}` as UTF-8, `{"type": "bytes", "base64"}` decoded) through
# `Spikard::StreamingResponse` with the section's `content_type`. The body must equal the
# chunks' concatenation byte for byte; the fixture's `expected_response.body` string is
# only a display of it.

require_relative "../answer"
require_relative "../json"
require_relative "../spikard"

module E2E
  module Features
    module Streaming
      class ChunkError < StandardError; end

      BASE64 = %r{\A(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\z}.freeze

      module_function

      # The decoded chunks (binary Strings) of the fixture's `streaming` section (nil without one).
      def chunks(f)
        items = Json.arr(Json.get(f.data["streaming"], "chunks"))
        return nil if items.nil?

        items.each_with_index.map do |c, i|
          kind = Json.get(c, "type")
          value = Json.str(Json.get(c, "value"))
          b64 = Json.str(Json.get(c, "base64"))
          next value.b if kind == "text" && value
          if kind == "bytes" && b64
            raise ChunkError, "streaming chunk #{i}: invalid base64" unless b64.match?(BASE64)

            next b64.unpack1("m")
          end
          raise ChunkError, "streaming chunk #{i}: unknown type #{Json.dump(kind)} or missing value"
        end
      end

      # The body a streaming fixture expects: every chunk, in order.
      def expected_body(f)
        chunks(f)&.join&.b
      rescue ChunkError
        nil
      end

      # The handler of a `streaming` fixture (chunks from an Enumerator); nil otherwise.
      def build(f)
        parts = chunks(f)
        return nil if parts.nil?

        expected = f.expected
        raw_status = expected["status_code"]
        status = raw_status.is_a?(Numeric) && !raw_status.zero? ? raw_status.truncate : 200
        content_type = [Json.str(Json.get(f.data["streaming"], "content_type")),
                        Json.str(Json.get(expected["headers"], "content-type"))].find { |t| t && !t.empty? }
        headers = [["content-type", content_type || "application/octet-stream"]]
        unless Answers.configures_middleware?(f)
          (Json.obj(expected["headers"]) || {}).each do |name, value|
            lower = name.downcase
            next if !value.is_a?(String) || lower == "content-type" || lower.start_with?("access-control-") ||
                    Answers::MIDDLEWARE_HEADERS.include?(lower) || value.start_with?("<<") || value == ".*"

            headers << [name, value]
          end
        end
        proc do |_req|
          stream = Enumerator.new do |y|
            parts.each do |part|
              Thread.pass
              y << part
            end
          end
          Spikard::StreamingResponse.new(stream, status: status, headers: headers)
        end
      end
    end
  end
end
