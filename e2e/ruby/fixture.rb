# frozen_string_literal: true

# Loading fixtures and turning their request part into a test-client call.
#
# Mirrors `e2e/node/src/fixture.ts` (itself `e2e/rust/src/fixture.rs` and
# `e2e/python/fixture.py`): the same folder walk, categories, template expansion and
# request building, so every runner sends identical requests (multipart bodies are
# encoded here exactly as the core's `encode_multipart`).

require "zlib"

require_relative "json"

module E2E
  # The repository root (`e2e/ruby/..`, two levels up).
  ROOT = File.expand_path("../..", __dir__)

  # One fixture file: `id` is `category/file.json` relative to the fixture folder.
  class Fixture
    EMPTY = {}.freeze

    attr_reader :id, :category, :data

    def initialize(id, category, data)
      @id = id
      @category = category
      @data = data
    end

    def handler
      Json.obj(data["handler"]) || EMPTY
    end

    def request
      Json.obj(data["request"]) || EMPTY
    end

    def expected
      Json.obj(data["expected_response"]) || EMPTY
    end

    def expected_status
      s = expected["status_code"]
      s.is_a?(Numeric) ? s.truncate : 0
    end
  end

  # A response read whole, its body decoded when gzip encoded (as the Rust `TestResponse`).
  # `header_list` holds lower-case names with their values, in order; `body` is binary.
  Answer = Struct.new(:status, :header_list, :body)

  # A multipart file part.
  UploadedFile = Struct.new(:field, :filename, :content_type, :data)

  module Fixtures
    TEMPLATE = /\{\{(.*?)\}\}/.freeze

    module_function

    # `SPIKARD_FIXTURES` (absolute, relative to the working directory, or to the repository), or `testing_data`.
    def dir
      raw = ENV.fetch("SPIKARD_FIXTURES", "")
      return File.join(ROOT, "testing_data") if raw.empty?

      absolute = raw.start_with?("/") || File.exist?(raw)
      absolute ? File.expand_path(raw) : File.join(ROOT, raw)
    end

    # Every `*.json` under `dir`, sorted by relative path, with its category (folder, else `category`).
    def load_dir(dir)
      files = []
      walk = lambda do |d|
        Dir.children(d).each do |name|
          p = File.join(d, name)
          if File.directory?(p) && !File.symlink?(p) then walk.call(p)
          elsif name.end_with?(".json") then files << p.delete_prefix("#{dir}/")
          end
        end
      end
      walk.call(dir)
      files.sort.map do |rel|
        begin
          data = Json.parse(File.binread(File.join(dir, rel)))
        rescue Json::SyntaxError => e
          raise "#{rel}: invalid JSON: #{e.message}"
        end
        raise "#{rel}: not a JSON object" unless data.is_a?(Hash)

        category = rel.include?("/") ? rel.split("/").first : (Json.str(data["category"]) || "")
        Fixture.new(rel, category, data)
      end
    end

    # Expand `{{ repeat 'x' 2000 times }}` in strings.
    def expand_templates(value)
      case value
      when String
        value.gsub(TEMPLATE) do |whole|
          words = Regexp.last_match(1).split(/\s+/).reject(&:empty?)
          if words.length == 4 && words[0] == "repeat" && words[3] == "times"
            what = words[1].gsub(/\A['"]+|['"]+\z/, "")
            words[2].match?(/\A[0-9]+\z/) ? what * words[2].to_i : ""
          else
            whole
          end
        end
      when Array then value.map { |v| expand_templates(v) }
      when Hash then value.transform_values { |v| expand_templates(v) }
      else value
      end
    end

    # A JSON value as the text a query string or form carries (JSON text for non-strings, null as empty).
    def scalar(value)
      return value if value.is_a?(String)
      return "" if value.nil? || value.equal?(Json::ABSENT)

      Json.dump(value)
    end

    def pairs_of(mapping)
      mapping.flat_map do |key, value|
        value.is_a?(Array) ? value.map { |v| [key, scalar(v)] } : [[key, scalar(value)]]
      end
    end

    # Percent-encode every byte but ASCII letters and digits (`percent_encoding::NON_ALPHANUMERIC`).
    def encode_component(text)
      text.b.gsub(/[^A-Za-z0-9]/n) { |c| format("%%%02X", c.ord) }
    end

    # Percent-decode a path as the core does; malformed escapes or bad UTF-8 leave it unchanged.
    def decode_path(raw)
      return raw if !raw.include?("%") || raw.match?(/%(?![0-9A-Fa-f]{2})/)

      decoded = raw.b.gsub(/%([0-9A-Fa-f]{2})/n) { Regexp.last_match(1).hex.chr }.force_encoding(Encoding::UTF_8)
      decoded.valid_encoding? ? decoded : raw
    end

    def route_path(request)
      path = request["path"]
      (Json.str(path) || scalar(path.nil? ? "/" : path)).partition("?").first
    end

    def file_of(part)
      magic = Json.str(Json.get(part, "magic_bytes"))
      data =
        if magic
          (0...(magic.length / 2)).map { |i| magic[i * 2, 2] }.grep(/\A[0-9a-fA-F]{2}\z/).map(&:hex).pack("C*")
        else
          content = scalar(Json.get(part, "content"))
          Json.get(part, "content_encoding") == "base64" ? content.unpack1("m") : content.b
        end
      p = Json.obj(part)
      content_type = p&.key?("content_type") ? scalar(p["content_type"]) : "application/octet-stream"
      UploadedFile.new(scalar(Json.get(part, "field_name")), scalar(Json.get(part, "filename")), content_type, data)
    end

    MULTIPART_QUOTE = { '"' => '\\"', "\\" => "\\\\", "\r" => "%0D", "\n" => "%0A" }.freeze

    # `spikard_core::body::encode_multipart`: the same boundary and bytes.
    def encode_multipart(fields, files)
      quote = ->(v) { v.gsub(/[\\"\r\n]/, MULTIPART_QUOTE) }
      hash = 0xcbf29ce484222325
      names = fields.map(&:first) + files.flat_map { |f| [f.field, f.filename] }
      names.each do |name|
        (name.bytes + [0]).each do |b|
          hash ^= b
          hash = (hash * 0x100000001b3) & 0xffffffffffffffff
        end
      end
      boundary = nil
      attempt = 0
      loop do
        boundary = format("----SpikardFormBoundary%016x", (hash + attempt) & 0xffffffffffffffff)
        collides = fields.any? { |(_, v)| v.b.include?(boundary) } || files.any? { |f| f.data.b.include?(boundary) }
        break unless collides

        attempt += 1
      end
      out = +"".b
      start = ->(name) { out << "--#{boundary}\r\nContent-Disposition: form-data; name=\"#{quote.call(name)}\"".b }
      fields.each do |name, value|
        start.call(name)
        out << "\r\n\r\n#{value}\r\n".b
      end
      files.each do |f|
        start.call(f.field)
        ct = f.content_type.gsub(/[\r\n]/, "").strip
        ct = "application/octet-stream" if ct.empty?
        out << "; filename=\"#{quote.call(f.filename)}\"\r\nContent-Type: #{ct}\r\n\r\n".b << f.data.b << "\r\n".b
      end
      out << "--#{boundary}--\r\n".b
      ["multipart/form-data; boundary=#{boundary}", out]
    end

    # A `Spikard::TestResponse` as an [Answer]: header names lower-cased, a gzip body
    # decoded (left as it is when it does not decode: the package's body is already
    # decoded, as the core's). Ruby's standard library has no brotli decoder, so a `br`
    # body is left as the package gives it (decoded, as the core's `TestResponse` body).
    def answer_of(res)
      header_list = res.header_pairs.map { |(k, v)| [k.to_s.downcase, v.to_s] }
      coding = header_list.find { |(k, _)| k == "content-encoding" }&.last&.strip
      body = res.body.to_s.b
      if coding == "gzip"
        begin
          body = Zlib.gunzip(body).b
        rescue Zlib::Error
          body = res.body.to_s.b
        end
      end
      Answer.new(res.status, header_list, body)
    end

    # One request through the test client: `headers` as `[name, value]` pairs, given to it
    # as the Hash its `headers:` takes (names compare case-sensitively there, so only a
    # fixture with both a lower-case `cookie` header and `cookies` would lose one; none has).
    def request(client, method, uri, headers, body = nil)
      options = { headers: headers.to_h }
      options[:body] = body unless body.nil?
      answer_of(client.request(method, uri, **options))
    end

    # Send the request a fixture describes (the same bytes the Rust runner sends).
    def send_request(client, raw)
      req = Json.obj(expand_templates(raw)) || Fixture::EMPTY
      method = Json.str(req["method"]) || "GET"
      uri = Json.str(req["path"]) || "/"
      query = []
      qp = Json.obj(req["query_params"])
      # Values already written into the path are not sent twice.
      query.concat(pairs_of(qp).map { |(k, v)| "#{encode_component(k)}=#{encode_component(v)}" }) if qp && !uri.include?("?")
      qs = Json.str(req["query_string"])
      query << qs.sub(/\A\?+/, "") if qs
      uri += (uri.include?("?") ? "&" : "?") + query.join("&") unless query.empty?
      headers = []
      content_type = Json.str(req["content_type"])
      (Json.obj(req["headers"]) || {}).each do |key, value|
        if key.downcase == "content-type" then content_type = scalar(value)
        else headers << [key, scalar(value)]
        end
      end
      cookies = Json.obj(req["cookies"])
      headers << ["cookie", cookies.map { |(k, v)| "#{k}=#{scalar(v)}" }.join("; ")] if cookies && !cookies.empty?
      files = (Json.arr(req["files"]) || []).map { |part| file_of(part) }
      fields = []
      %w[data form_data].each do |key|
        m = Json.obj(req[key])
        fields.concat(pairs_of(m)) if m
      end
      ct = content_type || ""
      multipart = ct.start_with?("multipart/") || req.key?("files")
      # A multipart Content-Type without a boundary and with no parts to encode is what the
      # fixture tests: send it as is (with parts, the runner encodes them and adds the boundary).
      without_boundary = files.empty? && fields.empty? && ct.start_with?("multipart/") && !ct.downcase.include?("boundary=")
      if multipart && !without_boundary
        type, body = encode_multipart(fields, files)
        return request(client, method, uri, headers + [["content-type", type]], body)
      end
      headers << ["content-type", content_type] if content_type
      body_raw = Json.str(req["body_raw"])
      return request(client, method, uri, headers, body_raw) if body_raw

      body = req["body"]
      # A string body is the literal bytes when the fixture names the content type or the text
      # looks like (possibly malformed) JSON; otherwise it is a JSON string value.
      return request(client, method, uri, headers, body) if body.is_a?(String) && (content_type || body.match?(/\A\s*[{\[]/))

      if body.nil? && req.key?("form_data")
        headers << ["content-type", "application/x-www-form-urlencoded"] unless content_type
        form = fields.map { |(k, v)| "#{encode_component(k)}=#{encode_component(v)}" }.join("&")
        return request(client, method, uri, headers, form)
      end
      return request(client, method, uri, headers) if body.nil?

      request(client, method, uri, headers, Json.dump(body))
    end
  end
end
