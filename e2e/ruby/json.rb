# frozen_string_literal: true

# JSON as the other runners see it (serde_json with `preserve_order`, Python's `json`),
# mirroring `e2e/node/src/json.ts`: `1` and `1.0` are different values (Integer and
# Float), integers keep every digit up to u64/i64 (serde reads larger ones as floats),
# object members keep their order. Fixtures and response bodies are read with this strict
# parser (serde_json's grammar), `equal?` compares as serde_json does and `dump` writes
# serde_json's compact text (ryu's float format: `1.0`, `1e20`, `1.5e-7`). Nothing is
# loosened.
#
# Representation: `nil`, `true`/`false`, String (UTF-8), Integer, Float, Array, Hash
# (String keys, in member order): the values a Ruby application uses, so fixture values
# go to the package as they are.

require "strscan"

module E2E
  module Json
    class SyntaxError < StandardError; end

    # Stands for a value that is not there (JavaScript's `undefined`, Python's `None` for a
    # missing key), so that it is shown apart from JSON `null`.
    ABSENT = Object.new.freeze

    U64_MAX = (2**64) - 1
    I64_MIN = -(2**63)
    MAX_DEPTH = 512
    NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/
    ESCAPES = { '"' => '"', "\\" => "\\", "/" => "/", "b" => "\b", "f" => "\f", "n" => "\n", "r" => "\r", "t" => "\t" }.freeze

    module_function

    # Parse JSON text strictly (no NaN, no trailing data, no lone surrogates, valid UTF-8).
    def parse(text)
      text = text.dup.force_encoding(Encoding::UTF_8)
      raise SyntaxError, "invalid UTF-8" unless text.valid_encoding?

      Parser.new(text).document
    end

    # The body as JSON, or `nil` when it is empty or not JSON (as the Rust `TestResponse::json`).
    def try_parse(text)
      parse(text)
    rescue SyntaxError
      nil
    end

    # Strict JSON equality: scalar kinds must match (serde_json's `PartialEq`), member order
    # does not matter. ABSENT equals only ABSENT.
    def equal?(left, right)
      case left
      when Hash
        right.is_a?(Hash) && left.size == right.size && left.all? { |k, v| right.key?(k) && equal?(v, right[k]) }
      when Array
        right.is_a?(Array) && left.size == right.size && left.each_index.all? { |i| equal?(left[i], right[i]) }
      when Integer then right.is_a?(Integer) && left == right
      when Float then right.is_a?(Float) && left == right
      when String then right.is_a?(String) && left.b == right.b
      else left.equal?(right)
      end
    end

    # Compact JSON text in member order (serde_json's `to_string`).
    def dump(value)
      case value
      when nil then "null"
      when true then "true"
      when false then "false"
      when String then quote(value)
      when Symbol then quote(value.to_s)
      when Integer then value.to_s
      when Float then float_text(value)
      when Array then "[#{value.map { |v| dump(v) }.join(',')}]"
      when Hash then "{#{value.map { |k, v| "#{quote(k.to_s)}:#{dump(v)}" }.join(',')}}"
      else raise ArgumentError, "not a JSON value: #{value.class}"
      end
    end

    # A string as serde_json writes it: `"`, `\` and control characters escaped, the rest as is.
    def quote(text)
      escaped = text.gsub(/["\\\x00-\x1f]/) do |c|
        case c
        when '"' then '\\"'
        when "\\" then "\\\\"
        when "\b" then "\\b"
        when "\f" then "\\f"
        when "\n" then "\\n"
        when "\r" then "\\r"
        when "\t" then "\\t"
        else format("\\u%04x", c.ord)
        end
      end
      "\"#{escaped}\""
    end

    # A finite float as serde_json writes it (ryu's shortest digits, its layout); non-finite: null.
    def float_text(value)
      return "null" unless value.finite?
      return value.to_s if value.zero? # "0.0" / "-0.0"

      digits, exponent = shortest_digits(value.abs)
      sign = value.negative? ? "-" : ""
      length = digits.length
      point = length + exponent # 10^(point-1) <= |value| < 10^point
      text =
        if exponent >= 0 && point <= 16
          "#{digits}#{'0' * exponent}.0"
        elsif point.positive? && point <= 16
          "#{digits[0, point]}.#{digits[point..]}"
        elsif point > -5 && point <= 0
          "0.#{'0' * -point}#{digits}"
        elsif length == 1
          "#{digits}e#{point - 1}"
        else
          "#{digits[0]}.#{digits[1..]}e#{point - 1}"
        end
      sign + text
    end

    # Ruby's shortest round-trip digits of a positive float and their decimal exponent
    # (`value == digits * 10**exponent`), trailing zeros removed.
    def shortest_digits(value)
      mantissa, exp = value.to_s.split("e")
      whole, fraction = mantissa.split(".")
      digits = "#{whole}#{fraction}"
      exponent = exp.to_i - fraction.to_s.length
      stripped = digits.sub(/\A0+/, "")
      trailing = stripped.length - stripped.sub(/0+\z/, "").length
      [stripped[0, stripped.length - trailing], exponent + trailing]
    end

    # Accessors over fixture objects (Python's `dict.get` with an `isinstance` check).

    def get(value, key)
      value.is_a?(Hash) ? value[key] : nil
    end

    def obj(value)
      value.is_a?(Hash) ? value : nil
    end

    def str(value)
      value.is_a?(String) ? value : nil
    end

    def arr(value)
      value.is_a?(Array) ? value : nil
    end

    # A non-negative integer (Python's `isinstance(v, int) and not isinstance(v, bool) and v >= 0`).
    def uint(value)
      value.is_a?(Integer) && value >= 0 ? value : nil
    end

    # serde_json's grammar over a UTF-8 String.
    class Parser
      def initialize(text)
        @s = StringScanner.new(text)
      end

      def document
        ws
        v = value(0)
        ws
        fail_at("trailing characters") unless @s.eos?
        v
      end

      private

      def fail_at(what)
        raise SyntaxError, "#{what} at offset #{@s.charpos}"
      end

      def ws
        @s.skip(/[ \t\n\r]*/)
      end

      def value(depth)
        fail_at("nesting too deep") if depth > MAX_DEPTH
        case @s.peek(1)
        when "{" then object(depth)
        when "[" then array(depth)
        when '"' then string
        when "-", "0".."9" then number
        else
          if @s.skip(/true/) then true
          elsif @s.skip(/false/) then false
          elsif @s.skip(/null/) then nil
          else fail_at("expected a value")
          end
        end
      end

      def object(depth)
        out = {}
        @s.getch
        ws
        return out if @s.skip(/\}/)

        loop do
          ws
          fail_at("expected a key") unless @s.peek(1) == '"'
          key = string
          ws
          fail_at("expected ':'") unless @s.skip(/:/)
          ws
          out[key] = value(depth + 1)
          ws
          c = @s.getch
          return out if c == "}"

          fail_at("expected ',' or '}'") unless c == ","
        end
      end

      def array(depth)
        out = []
        @s.getch
        ws
        return out if @s.skip(/\]/)

        loop do
          ws
          out << value(depth + 1)
          ws
          c = @s.getch
          return out if c == "]"

          fail_at("expected ',' or ']'") unless c == ","
        end
      end

      def string
        @s.getch
        out = +""
        loop do
          plain = @s.scan(/[^"\\\x00-\x1f]+/)
          out << plain if plain
          c = @s.getch
          fail_at("unterminated string") if c.nil?
          return out if c == '"'
          fail_at("control character in string") unless c == "\\"

          escape(out)
        end
      end

      def escape(out)
        e = @s.getch
        if ESCAPES.key?(e)
          out << ESCAPES[e]
          return
        end
        fail_at("invalid escape") unless e == "u"
        high = hex4
        fail_at("lone trailing surrogate") if high.between?(0xdc00, 0xdfff)
        unless high.between?(0xd800, 0xdbff)
          out << high.chr(Encoding::UTF_8)
          return
        end
        fail_at("lone leading surrogate") unless @s.skip(/\\u/)
        low = hex4
        fail_at("invalid surrogate pair") unless low.between?(0xdc00, 0xdfff)
        out << (0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)).chr(Encoding::UTF_8)
      end

      def hex4
        h = @s.scan(/[0-9a-fA-F]{4}/)
        fail_at("invalid \\u escape") if h.nil?
        h.to_i(16)
      end

      def number
        text = @s.scan(NUMBER)
        fail_at("invalid number") if text.nil?
        if @s[1].nil? && @s[2].nil?
          n = text.to_i
          return n if n <= U64_MAX && n >= I64_MIN
          # Beyond u64/i64, serde_json reads the integer as a float.
        end
        f = quietly { Float(text) }
        fail_at("number out of range") unless f.finite?
        f
      end

      # Ruby warns on out-of-range float literals; the range is checked here instead.
      def quietly
        verbose = $VERBOSE
        $VERBOSE = nil
        yield
      ensure
        $VERBOSE = verbose
      end
    end
  end
end
