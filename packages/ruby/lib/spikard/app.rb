# frozen_string_literal: true

module Spikard
  # An application: routes, hooks and dependencies registered with the core, served by
  # its Rust HTTP server or tested in memory with `TestClient`.
  class App
    METHODS = %w[get post put patch delete head options].freeze
    # Route options the package reads itself; every other one is the core's route setting.
    OWN_OPTIONS = %i[params query headers cookies body response dependencies run_dependencies expected_types
                     defer_dependency_errors response_model].freeze
    # Ruby threads that run handlers, unless `run(threads:)` says otherwise.
    DEFAULT_THREADS = 8

    # @api private
    attr_reader :native, :dispatcher

    # An app with the core's `ServerConfig` (keywords, or a `Config::ServerConfig`).
    def initialize(config = nil, **keywords)
      @native = Native::App.new(Spikard.config_json(config, keywords))
      @dispatcher = Dispatcher.new(@native)
    end

    # The config the app runs with, as a Hash with String keys.
    def config = JSON.parse(@native.config)

    # Replace the config.
    def configure(config = nil, **keywords)
      @native.configure(Spikard.config_json(config, keywords))
      self
    end

    METHODS.each do |verb|
      define_method(verb) do |path, **options, &handler|
        route(verb.upcase, path, **options, &handler)
      end
    end

    # Register a route: `method`, `path` (`/users/{id:int}`) and route options (see the
    # README); the block gets the request and its dependencies as keyword arguments.
    def route(method, path, **options, &handler)
      raise ArgumentError, "#{method} #{path}: a route needs a block" unless handler

      options = options.transform_keys(&:to_sym)
      keywords = Spikard.keywords(handler)
      objects = [[@dispatcher.register(Dispatcher::Entry.new(kind: :request, callable: handler, keywords: keywords)),
                  nil]]
      spec = Spikard.route_spec(options)
      spec.merge!("method" => method.to_s.upcase, "path" => path.to_s)
      decl = { "route" => spec, "handler" => { "function" => 0, "is_async" => false, "args" => Spikard.args_for(keywords) } }
      model = options[:response] || options[:response_model]
      decl["response_model"] = model if model
      decl["expected_types"] = options[:expected_types] if options[:expected_types]
      decl["defer_dependency_errors"] = options[:defer_dependency_errors] unless options[:defer_dependency_errors].nil?
      # Resolved for every request though the block does not take them (a check that raises refuses).
      decl["run_dependencies"] = options[:run_dependencies].map(&:to_s) if options[:run_dependencies]
      if options[:dependencies]
        decl["dependencies"] = options[:dependencies].to_h { |name, given| [name.to_s, dependency(given, objects)] }
      end
      @native.add_route(JSON.generate(decl), objects)
      self
    end

    # A WebSocket route; the block runs when a client connects, with the connection.
    def websocket(path, **options, &block)
      raise ArgumentError, "websocket #{path}: needs a block" unless block

      ids = %i[open message close].map do |role|
        @dispatcher.register(Dispatcher::Entry.new(kind: :ws, callable: block, keywords: [], role: role))
      end
      spec = Spikard.route_spec(options.transform_keys(&:to_sym))
      spec.merge!("method" => "GET", "path" => path.to_s, "kind" => "websocket")
      spec["handler_name"] ||= "WS #{path}"
      @native.add_websocket(JSON.generate(spec), ids)
      self
    end

    # Hand every request to `prefix` and below, whatever its method, to a Rack app
    # (`SCRIPT_NAME` is the prefix); `options` are route options (`middleware:`, `cors:`).
    def mount(prefix, rack_app, **options)
      adapter = Rack::Adapter.new(rack_app, prefix, self)
      Rack.patterns(prefix).product(Rack::METHODS).each do |path, method|
        route(method, path, raw_request: true, include_in_schema: false, **options) { |req| adapter.call(req) }
      end
      self
    end

    # Register a dependency by name: a value, or a `Provide`.
    def provide(name, given)
      objects = []
      decl = dependency(given, objects)
      @native.provide(name.to_s, JSON.generate(decl), objects)
      self
    end

    %w[on_request pre_validation pre_handler].each do |phase|
      define_method(phase) do |&hook|
        raise ArgumentError, "#{phase} needs a block" unless hook

        keywords = Spikard.keywords(hook)
        func = @dispatcher.register(Dispatcher::Entry.new(kind: :hook, callable: hook, keywords: keywords))
        decl = { "phase" => phase, "name" => phase, "function" => 0, "is_async" => false,
                 "args" => Spikard.args_for(keywords) }
        @native.add_hook(JSON.generate(decl), [[func, nil]])
        self
      end
    end

    %w[on_response on_error].each do |phase|
      define_method(phase) do |&hook|
        raise ArgumentError, "#{phase} needs a block" unless hook

        func = @dispatcher.register(Dispatcher::Entry.new(kind: :response, callable: hook, keywords: []))
        decl = { "phase" => phase, "name" => phase, "function" => 0, "is_async" => false, "with_request" => true }
        @native.add_hook(JSON.generate(decl), [[func, nil]])
        self
      end
    end

    # Serve until SIGINT/SIGTERM (in-flight requests drain); `workers` processes share
    # the port; `threads` Ruby threads run the handlers.
    def run(host: nil, port: nil, workers: nil, threads: DEFAULT_THREADS)
      overrides = { "host" => host, "port" => port, "workers" => workers }.compact
      configure(config.merge(overrides)) unless overrides.empty?
      start(threads)
      @native.serve(workers || config["workers"] || 1)
    ensure
      @dispatcher.stop
    end

    # @api private: start the threads that run handlers (the test client does).
    def start(threads = DEFAULT_THREADS)
      @dispatcher.start(threads)
      self
    end

    # Stop the Ruby threads that run handlers (a test client or `run` starts them again).
    def close
      @dispatcher.stop
      self
    end

    private

    # The declaration of a dependency (a value or a `Provide`), its objects appended.
    def dependency(given, objects)
      index = objects.length
      unless given.is_a?(Provide)
        objects << [@dispatcher.hold(given), Spikard.json_type(given)]
        return { "kind" => "value", "function" => index }
      end
      deps = given.depends_on - ["request"]
      entry = Dispatcher::Entry.new(kind: :factory, callable: given, keywords: deps)
      objects << [@dispatcher.register(entry), nil]
      decl = { "kind" => given.generator? ? "generator" : "factory", "function" => index, "is_async" => false,
               "args" => Spikard.args_for(deps), "lifetime" => given.lifetime.to_s }
      decl["parameters"] = given.parameters if given.parameters
      decl["body_schema"] = given.body_schema if given.body_schema
      decl
    end
  end

  # The argument plan of a function taking the request and dependencies `deps`.
  def self.args_for(deps)
    [{ "name" => "request", "source" => "request", "positional" => true }] +
      deps.map { |d| { "name" => "dep:#{d}", "key" => d, "source" => "dependency", "positional" => true } }
  end

  # The core's RouteSpec from route options: the `params`/`query`/`headers`/`cookies`
  # shorthands merged into `parameters`, `body` as `body_schema`.
  def self.route_spec(options)
    spec = options.reject { |k, _| App::OWN_OPTIONS.include?(k) }.transform_keys(&:to_s)
    parameters = (spec.delete("parameters") || {}).transform_keys(&:to_s)
    { "path" => options[:params], "query" => options[:query], "headers" => options[:headers],
      "cookies" => options[:cookies] }.each do |key, schema|
      next if schema.nil?

      parameters[key] = (parameters[key] || {}).merge(parameters_of(schema))
    end
    spec["parameters"] = parameters unless parameters.empty?
    spec["body_schema"] = options[:body] if options[:body]
    spec
  end

  # Parameters given as an object schema, or as a Hash of name to schema.
  def self.parameters_of(schema)
    schema = schema.transform_keys(&:to_s)
    return schema unless schema["type"].to_s == "object" && schema["properties"].is_a?(Hash)

    required = (schema["required"] || []).map(&:to_s)
    schema["properties"].to_h do |name, s|
      s = s.transform_keys(&:to_s)
      s = s.merge("required" => false) unless required.include?(name.to_s) || s.key?("default")
      [name.to_s, s]
    end
  end

  # A config (a struct, a Hash, keywords) as the JSON text the core reads.
  def self.config_json(config, keywords)
    merged = Config.plain(config || {}).to_h.transform_keys(&:to_s)
    merged.merge!(Config.plain(keywords).transform_keys(&:to_s))
    JSON.generate(merged)
  end
end
