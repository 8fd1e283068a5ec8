# frozen_string_literal: true

require "stringio"

module Spikard
  # Rack applications on Spikard's server: `App#mount(prefix, rack_app)` hands every request
  # under a prefix to a Rack app (ordinary routes of the app, declared `raw_request`: the
  # server-wide middleware applies, the body arrives as sent), and `Spikard::Rack.run` serves
  # a whole one (the `spikard-rack` executable serves a `config.ru`). Hijacking is not
  # supported (`rack.hijack?` is false).
  module Rack
    # The methods a mounted app answers.
    METHODS = %w[GET POST PUT PATCH DELETE HEAD OPTIONS].freeze
    # The Rack protocol version the env announces.
    VERSION = [1, 3].freeze
    # Response headers the core sets itself from the body it sends.
    OWN_HEADERS = %w[content-length transfer-encoding connection].freeze

    # Serve `rack_app` until SIGINT/SIGTERM: `host`, `port`, `workers` (processes sharing the
    # port), `threads` (Ruby threads calling the app) and any other `App` config keyword.
    def self.run(rack_app, host: "127.0.0.1", port: 9292, workers: 1, threads: App::DEFAULT_THREADS, **config)
      app(rack_app, **config).run(host: host, port: port, workers: workers, threads: threads)
    end

    # A Spikard `App` (config keywords as for `App.new`) serving `rack_app` at "/".
    def self.app(rack_app, **config)
      App.new(**config).mount("/", rack_app)
    end

    # The app of a `config.ru` (Rack 2's `parse_file` gives `[app, options]`, Rack 3's the app).
    def self.load(path)
      require "rack"
      built = ::Rack::Builder.parse_file(path.to_s)
      built.is_a?(Array) ? built.first : built
    end

    # The route patterns covering `prefix` and everything below it.
    def self.patterns(prefix)
      base = prefix.to_s.chomp("/")
      raise ArgumentError, "a mount prefix starts with '/' (got #{prefix.inspect})" unless base.empty? || base.start_with?("/")

      [base.empty? ? nil : base, "#{base}/", "#{base}/{rack_path_info:path}"].compact
    end

    # Calls a Rack app with the env of each request and converts its response.
    class Adapter
      def initialize(rack_app, prefix, app)
        @rack_app = rack_app
        @script_name = prefix.to_s.chomp("/")
        @app = app
      end

      # The route handler: the request in, a Spikard response out.
      def call(request)
        status, headers, body = @rack_app.call(env(request))
        response(Integer(status), Rack.header_pairs(headers), body)
      end

      # The Rack env of `request`.
      def env(request)
        path, query, version, authority = request.raw_target
        headers = request.headers
        name, port = Rack.server_name_port(headers["host"] || authority)
        env = {
          "REQUEST_METHOD" => request.method, "SCRIPT_NAME" => @script_name,
          "PATH_INFO" => path_info(path, request.path), "QUERY_STRING" => query || "",
          "SERVER_NAME" => name, "SERVER_PORT" => port, "SERVER_PROTOCOL" => version,
          "rack.version" => VERSION, "rack.url_scheme" => "http",
          "rack.input" => StringIO.new(request.raw_body.b).tap(&:binmode), "rack.errors" => $stderr,
          "rack.multithread" => true, "rack.multiprocess" => multiprocess?, "rack.run_once" => false,
          "rack.hijack?" => false
        }
        client = request.client
        env["REMOTE_ADDR"] = client if client
        headers.each { |key, value| env[Rack.env_key(key)] = value.ascii_only? ? value : value.b }
        # A body sent in chunks has its length known once it is read.
        env["CONTENT_LENGTH"] ||= env["rack.input"].size.to_s unless env["rack.input"].size.zero?
        env
      end

      private

      # The path below the prefix as sent (percent-encoded); the decoded one when the
      # client encoded the prefix itself.
      def path_info(raw, decoded)
        [raw, decoded].each do |path|
          next unless path.start_with?(@script_name)

          rest = path[@script_name.length..]
          return rest if rest.empty? || rest.start_with?("/")
        end
        decoded
      end

      def multiprocess?
        @multiprocess = (@app.config["workers"] || 1) > 1 if @multiprocess.nil?
        @multiprocess
      end

      # An Array body (or one with `to_ary`) is sent at once; any other is streamed, and
      # closed when it ends or the client leaves.
      def response(status, pairs, body)
        parts = body.respond_to?(:to_ary) ? body.to_ary : nil
        return StreamingResponse.new(Body.new(body), status: status, headers: pairs) if parts.nil?

        begin
          text = parts.join.b
        ensure
          body.close if body.respond_to?(:close)
        end
        Response.new(status: status, body: text.empty? ? nil : text, headers: pairs)
      end
    end

    # A streamed Rack body: its parts, then `close` (also when the client left first).
    class Body
      include Enumerable

      def initialize(body)
        @body = body
      end

      def each(&block)
        @body.each { |part| block.call(part.to_s.b) unless part.empty? }
      ensure
        @body.close if @body.respond_to?(:close)
      end
    end

    # The env key of a request header.
    def self.env_key(name)
      key = name.upcase.tr("-", "_")
      %w[CONTENT_TYPE CONTENT_LENGTH].include?(key) ? key : "HTTP_#{key}"
    end

    # `[SERVER_NAME, SERVER_PORT]` from a Host header (`localhost`, `80` without one).
    def self.server_name_port(host)
      return %w[localhost 80] if host.nil? || host.empty?

      match = host.match(/\A(\[[^\]]*\]|[^:]*)(?::(\d+))?\z/)
      return [host, "80"] unless match

      [match[1], match[2] || "80"]
    end

    # A Rack response's headers as pairs: Rack 2 joins repeated values with "\n", Rack 3
    # gives an Array; `set-cookie` becomes one header per cookie.
    def self.header_pairs(headers)
      pairs = []
      headers.each do |name, value|
        key = name.to_s
        next if OWN_HEADERS.include?(key.downcase) || key.start_with?("rack.")

        Array(value).each { |v| v.to_s.split("\n").each { |line| pairs << [key, line] } }
      end
      pairs
    end
  end
end
