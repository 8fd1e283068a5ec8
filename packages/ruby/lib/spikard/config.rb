# frozen_string_literal: true

module Spikard
  # The core's config structs (`spikard_core::config`), field for field, as keyword
  # structs. `App.new(**config)` takes them or plain hashes; a field left `nil` takes the
  # core's default. The package's drift test compares these with the core's defaults.
  module Config
    def self.struct(*fields)
      Struct.new(*fields, keyword_init: true) do
        # The set fields as a plain Hash (nested structs too), as the core reads it.
        def to_h
          each_pair.each_with_object({}) do |(k, v), out|
            out[k] = Config.plain(v) unless v.nil?
          end
        end
      end
    end

    # A config value as plain data: structs as Hashes, recursively.
    def self.plain(value)
      case value
      when Struct then value.to_h
      when Hash then value.to_h { |k, v| [k.to_s, plain(v)] }
      when Array then value.map { |v| plain(v) }
      else value
      end
    end

    ServerConfig = struct(
      :host, :port, :workers, :max_body_size, :max_header_size, :max_uri_length, :max_nesting_depth,
      :shutdown_timeout_secs, :header_read_timeout_secs, :first_byte_timeout_secs, :keep_alive_timeout_secs,
      :body_read_timeout_secs, :max_connections, :max_connections_per_ip, :blocking_threads, :request_logging,
      :trusted_proxies, :compression, :cors, :request_id, :request_timeout, :rate_limit, :jwt_auth, :api_key_auth,
      :static_files, :openapi, :background, :http2
    )
    CompressionConfig = struct(:gzip, :brotli, :min_size, :quality)
    CorsConfig = struct(
      :allowed_origins, :allowed_methods, :allowed_headers, :expose_headers, :allow_credentials, :max_age,
      :allow_private_network
    )
    RequestIdConfig = struct(:enabled, :header_name, :propagate)
    RequestTimeoutConfig = struct(:seconds)
    RateLimitConfig = struct(:per_second, :burst, :per_ip, :global)
    BodyLimitConfig = struct(:max_bytes)
    StaticFile = struct(:path, :content)
    StaticFilesConfig = struct(:route_prefix, :directory, :files, :index_file, :cache_control, :follow_symlinks)
    JwtConfig = struct(
      :enabled, :algorithm, :secret, :public_key, :audience, :issuer, :leeway, :header_name, :require_exp,
      :required_claims, :realm
    )
    ApiKeyConfig = struct(:enabled, :keys, :deprecated_keys, :header_name, :query_param, :realm)
    OpenApiConfig = struct(
      :enabled, :title, :version, :description, :openapi_json_path, :swagger_ui_path, :redoc_path,
      :asyncapi_json_path, :offline_assets
    )
    BackgroundConfig = struct(:max_concurrent, :drain_timeout_secs)

    # Every struct by the core's name.
    STRUCTS = constants.map { |name| [name.to_s, const_get(name)] }
                       .select { |_, c| c.is_a?(Class) && c < Struct }.to_h.freeze
  end
end
