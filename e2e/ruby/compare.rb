# frozen_string_literal: true

# Comparing a response with a fixture's expectation (mirrors `e2e/node/src/compare.ts`,
# `e2e/rust/src/compare.rs` and `e2e/python/compare.py`).
#
# JSON values compare as serde_json does (`Json.equal?`): `1` and `1.0` differ, `true`
# and `1` differ, member order does not matter. Nothing here is loosened.

require_relative "answer"
require_relative "features/streaming"
require_relative "json"

module E2E
  module Compare
    module_function

    # The body as text (invalid UTF-8 replaced, as `String::from_utf8_lossy`).
    def text(res)
      res.body.dup.force_encoding(Encoding::UTF_8).scrub("\uFFFD")
    end

    # The body as JSON; `nil` if empty, not UTF-8 or not JSON (as the Rust `TestResponse::json`).
    def body_json(res)
      Json.try_parse(res.body)
    end

    # Every value of a header (case-insensitive), in order.
    def header_values(res, name)
      lower = name.downcase
      res.header_list.select { |(k, _)| k.downcase == lower }.map(&:last)
    end

    def truncate(text)
      text.length <= 300 ? text : "#{text[0, 300]}..."
    end

    # A value as the problems show it (`None` when it is not there).
    def shown(value)
      value.equal?(Json::ABSENT) ? "None" : truncate(Json.dump(value))
    end

    # A string as JSON text (JavaScript's `JSON.stringify`), for the problems.
    def quoted(text)
      Json.quote(text)
    end

    HEX = "[0-9a-fA-F]"
    HYPHENATED = "#{HEX}{8}-#{HEX}{4}-#{HEX}{4}-#{HEX}{4}-#{HEX}{12}".freeze
    UUID = /\A(?:#{HYPHENATED}|#{HEX}{32}|\{#{HYPHENATED}\}|urn:uuid:#{HYPHENATED})\z/.freeze

    # What `uuid::Uuid::parse_str` accepts: hyphenated, simple, braced or URN.
    def uuid?(text)
      UUID.match?(text)
    end

    # A header pattern where each `.*` stands for any run of characters (`.*ms`).
    def matches_pattern?(pattern, got)
      parts = pattern.split(".*", -1)
      first = parts.first
      last = parts.last
      return false if !got.start_with?(first) || got.length < first.length + last.length || !got.end_with?(last)

      rest = got[first.length, got.length - first.length - last.length]
      parts[1...-1].each do |part|
        at = rest.index(part)
        return false if at.nil?

        rest = rest[(at + part.length)..]
      end
      true
    end

    def header_ok?(want, got)
      return got.nil? if want == "<<absent>>"
      return !got.nil? if ["<<present>>", ".*"].include?(want)
      return false if got.nil?
      return uuid?(got) if want == "<<uuid>>"
      return matches_pattern?(want, got) if want.include?(".*")

      want == got
    end

    def compare_body(f, res, app_answers)
      body = f.expected["body"]
      return [] if body.nil? || body == ""

      streamed = Features::Streaming.expected_body(f)
      if body.is_a?(String) && streamed
        return [] if res.body == streamed

        return ["streamed body #{quoted(truncate(text(res)))} != the chunks #{quoted(truncate(streamed.dup.force_encoding(Encoding::UTF_8).scrub))}"]
      end
      if body.is_a?(String)
        return text(res) == body ? [] : ["body #{quoted(truncate(text(res)))} != expected #{quoted(truncate(body))}"]
      end
      got = body_json(res)
      if !app_answers && !Answers.problem?(body)
        detail = Json.str(Json.get(got, "detail"))
        return ["expected a problem object with a detail, got #{truncate(text(res))}"] if !Answers.problem?(got) || detail.nil? || detail.empty?

        return []
      end
      Json.equal?(got, body) ? [] : ["body #{shown(got)} != expected #{shown(body)}"]
    end

    # Every difference, one line each; empty when the response matches.
    def compare(f, res, app_answers)
      expected = f.expected
      return ["status #{res.status} != expected #{f.expected_status}; body #{truncate(text(res))}"] if res.status != f.expected_status

      out = compare_body(f, res, app_answers)
      want_errors = Json.arr(expected["validation_errors"])
      if want_errors
        got = body_json(res)
        errors = got.is_a?(Hash) && got.key?("errors") ? got["errors"] : nil
        out << "errors #{shown(errors)} != expected #{shown(want_errors)}" unless Json.equal?(errors, want_errors)
      end
      partial = Json.obj(expected["body_partial"])
      if partial
        got = Json.obj(body_json(res))
        partial.each do |key, want|
          value = got&.key?(key) ? got[key] : Json::ABSENT
          out << "body.#{key} = #{shown(value)}, expected #{shown(want)}" if value.equal?(Json::ABSENT) || !Json.equal?(value, want)
        end
      end
      (Json.obj(expected["headers"]) || {}).each do |name, want|
        got = header_values(res, name).first
        # A header expected as JSON null must not be sent (as `<<absent>>`).
        want_text = want.nil? ? "<<absent>>" : (Json.str(want) || "")
        out << "header #{name}: #{got.nil? ? 'None' : quoted(got)}, expected #{shown(want)}" unless header_ok?(want_text, got)
      end
      set_cookies = header_values(res, "set-cookie")
      (Json.obj(expected["cookies"]) || {}).each do |name, spec|
        want = Answers.set_cookie_value(name, spec)
        out << "set-cookie #{quoted(want)} missing; got #{Json.dump(set_cookies)}" unless set_cookies.include?(want)
      end
      out
    end
  end
end
