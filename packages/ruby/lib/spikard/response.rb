# frozen_string_literal: true

module Spikard
  # A response with a status, headers and a body: a JSON value (Hash, Array, number,
  # `true`/`false`), a String (`text/plain`; a binary String is `application/octet-stream`),
  # or `nil` for none.
  class Response
    attr_reader :status, :body, :headers

    def initialize(status: 200, body: nil, headers: nil, content_type: nil)
      @status = Integer(status)
      @body = body
      @headers = Response.pairs(headers)
      @headers << ["content-type", content_type] if content_type
    end

    # A JSON response.
    def self.json(value, status: 200, headers: nil)
      new(status: status, body: value, headers: headers)
    end

    # A `text/plain` response.
    def self.text(text, status: 200, headers: nil)
      new(status: status, body: text.to_s, headers: headers)
    end

    # A redirect (307 by default) to `location`.
    def self.redirect(location, status: 307)
      new(status: status, headers: { "location" => location })
    end

    # Add a header (a repeated name sends several values).
    def add_header(name, value)
      @headers << [name.to_s, value.to_s]
      self
    end

    # Add a `set-cookie` header (formatted by the core: `Max-Age`, `Domain`, `Path`,
    # `Secure`, `HttpOnly`, `SameSite` in that order).
    def set_cookie(name, value, max_age: nil, domain: nil, path: nil, secure: false, http_only: false,
                   same_site: nil)
      fields = { name: name.to_s, value: value.to_s, max_age: max_age&.then { |a| Integer(a) }, domain: domain,
                 path: path, secure: secure, http_only: http_only, same_site: same_site&.to_s }
      add_header("set-cookie", Native.cookie_header(JSON.generate(fields)))
    end

    # Headers given as a Hash (a value may be an Array) or `[name, value]` pairs.
    def self.pairs(headers)
      return [] if headers.nil?

      headers.flat_map do |name, value|
        Array(value).map { |v| [name.to_s, v.to_s] }
      end
    end
  end

  # A file as the answer, read when the response is sent (streamed beyond 256 KiB):
  # `ETag`, `Last-Modified`, 304s and byte ranges (206/416) come from the core, as for
  # static files. `filename:` names the download (`Content-Disposition: attachment`, or
  # `inline` with `disposition: :inline`); the media type is `content_type:`, else by the
  # file name's extension. A path that is not a readable file is a logged 500.
  class FileResponse
    attr_reader :path, :status, :headers, :filename, :disposition

    def initialize(path, filename: nil, disposition: :attachment, content_type: nil, status: 200, headers: nil)
      unless %i[attachment inline].include?(disposition.to_sym)
        raise ArgumentError, "disposition is :attachment or :inline, not #{disposition.inspect}"
      end

      @path = path.to_s
      @filename = filename&.to_s
      @disposition = disposition.to_sym
      @status = Integer(status)
      @headers = Response.pairs(headers)
      @headers << ["content-type", content_type] if content_type
    end

    # The file as the core reads it (`described::file`).
    def spec
      fields = { path: @path, inline: @disposition == :inline }
      fields[:filename] = @filename if @filename
      JSON.generate(fields)
    end
  end

  # A response as a response hook (`on_response`, `on_error`) sees it; change it in place.
  class HookResponse
    attr_accessor :status, :headers, :body

    def initialize(shown)
      @status = shown["status"]
      @headers = shown["headers"]
      @body = shown["body"]
      @original = @body
      @kind = shown["body_kind"]
    end

    # The response as the hook left it: `[status, header pairs, kind, body]`.
    def left
      pairs = Response.pairs(@headers)
      return [@status, pairs, "json", JSON.generate(@body)] if @kind == "json"
      return [@status, pairs, "keep", nil] if %w[none bytes].include?(@kind) && @body.equal?(@original)

      kind, body = Spikard.body_of(@body, pairs)
      [@status, pairs, kind, body]
    end
  end

  # A body as `[kind, bytes]`, adding its media type to `pairs` when they have none.
  def self.body_of(body, pairs)
    case body
    when nil then ["empty", nil]
    when String
      binary = body.encoding == Encoding::BINARY
      unless pairs.any? { |k, _| k.casecmp?("content-type") }
        pairs << ["content-type", binary ? "application/octet-stream" : "text/plain; charset=utf-8"]
      end
      [binary ? "bytes" : "text", body]
    else ["json", JSON.generate(body)]
    end
  end
end
