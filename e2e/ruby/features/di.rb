# frozen_string_literal: true

# Fixtures with dependency injection (`handler.dependencies`, `handler_dependencies`,
# `route_overrides`, `expected_types`, hooks' `dependencies`), mirroring
# `e2e/node/src/features/di.ts` and `e2e/python/features/di.py` rule for rule. The runner
# registers them through the package's public API as an application would, with the
# vocabulary of `testing_data/README.md`:
#
# - values are `app.provide(name, value)` (the fixture's JSON as it is: `2.0` is a Float,
#   `2` an Integer); `injection_strategy` / `python_type` describe Python's binding by type
#   and are ignored here, as in the Rust and Node runners;
# - a factory is `app.provide(name, Spikard::Provide.new(lifetime:) { |dep:, ...| })`
#   (`per_use`, or `per_request` when `cacheable`, `singleton` when `singleton`), its
#   keyword parameters the dependencies it depends on; it creates
#   `{"factory", "id", "created_at", "count", "inputs"}` (`count`: how many times this
#   registration has created a value; `inputs`: the dependencies it received); an
#   `async_factory` yields first (`Thread.pass`: Ruby blocks have no event loop to yield to);
# - a factory with `parameters` is `Provide.new(parameters:)` taking the request as its
#   `request:` keyword: it reads them from the request (validated with the route's by the
#   core) and creates the object of what it read and got, by name;
#   `handler.returns_dependency` makes the handler answer with that dependency's value;
# - `cleanup: true` makes the factory take a block (`&use`): creating records
#   `<label>_opened` in the fixture's state log, the code after `use.call`
#   `<label>_closed` (also when the request failed: its error is raised from `use.call`);
#   the log is served at `background.state_path` as `{<state_key>: [...]}`;
# - a factory whose name contains `fail`, `raise` or `throw` raises: a `Spikard::HTTPError`
#   with the fixture's expected status when it is an error status below 500, else a plain
#   error (a 500).
#
# Handlers and hooks take their dependencies as keyword arguments (the package reads a
# block's keyword parameters as the dependencies it needs), so the runner writes blocks
# with the fixture's names as their keywords (`keyword_block`, as Python's runner gives
# its functions a signature). `expected_types` are the route's `expected_types` (checked
# by the core against the resolved values). Routes defer graph errors (cycles, missing
# dependencies) to request time (`defer_dependency_errors`), since the fixtures pin the
# request-time problem. The handler (and a hook) checks that every dependency it declares
# was resolved before answering.

require "securerandom"

require_relative "../answer"
require_relative "../fixture"
require_relative "../json"
require_relative "../spikard"

module E2E
  module Features
    module Di
      # Names a block can take as keywords (and the runner's own locals never use).
      KEYWORD = /\A[a-z_][A-Za-z0-9_]*\z/.freeze
      RESERVED = %w[
        __FILE__ __LINE__ __ENCODING__ BEGIN END alias and begin break case class def defined? do else elsif end
        ensure false for if in module next nil not or redo rescue retry return self super then true undef unless
        until when while yield
      ].freeze

      module_function

      def dependencies?(f)
        %w[dependencies handler_dependencies route_overrides run_dependencies].any? { |k| f.handler.key?(k) }
      end

      def names(value)
        value.is_a?(Array) ? value.grep(String) : []
      end

      # The dependencies the handler takes (a name listed twice is one: both uses get the same value).
      def handler_needs(f)
        names(f.handler["handler_dependencies"]).uniq
      end

      # Fail unless every named dependency was resolved for this call.
      def check_resolved(deps, needs)
        needs.each { |name| raise "dependency '#{name}' was not resolved" unless deps.key?(name) }
      end

      # A block with `positional` positional parameters, a required keyword parameter per
      # name and, when `use`, a block parameter (`&use`): what an application writes for a
      # handler, hook or factory taking those dependencies. Calling it calls `body` with the
      # positional arguments (an Array), the keywords (name => value) and the block.
      def keyword_block(names, positional: 1, use: false, &body)
        names.each do |n|
          next if n.match?(KEYWORD) && !RESERVED.include?(n) && !n.start_with?("__")

          raise ArgumentError, "dependency #{n.inspect} cannot be a Ruby keyword argument"
        end
        args = Array.new(positional) { |i| "__arg#{i}__" }
        params = args + names.map { |n| "#{n}:" }
        params << "&__use__" if use
        values = names.map { |n| "#{Json.quote(n)} => #{n}" }.join(", ")
        call = "__body__.call([#{args.join(', ')}], {#{values}}#{use ? ', __use__' : ''})"
        __body__ = body
        eval("proc { |#{params.join(', ')}| #{call} }", binding, __FILE__, __LINE__) # rubocop:disable Security/Eval
      end

      def label_for(name, f)
        expected = names(Json.get(f.data["background"], "expected_state"))
        labels = expected.select { |e| e.end_with?("_opened") }.map { |e| e.delete_suffix("_opened") }
        # The longest (the first of equal lengths, as Python's `max`).
        labels.select { |label| name.include?(label) }.reduce(nil) { |best, l| best.nil? || l.length > best.length ? l : best } || name
      end

      # How long a factory's value lives.
      def lifetime_of(definition)
        return :singleton if definition["singleton"] == true

        definition["cacheable"] == true ? :per_request : :per_use
      end

      # What a factory with `parameters` read from the request, by parameter name (absent ones left out).
      def read_values(reads, req)
        out = {}
        [["path", req.path_params, false], ["query", req.query, false], ["headers", req.headers, true],
         ["cookies", req.cookies, false]].each do |section, values, lowercase|
          (Json.obj(reads[section]) || {}).each_key do |name|
            key = lowercase ? name.downcase : name.to_sym
            out[name] = values[key] if values.key?(key) && !values[key].nil?
          end
        end
        out
      end

      # One fixture dependency definition as what `app.provide` takes (a value or a `Provide`).
      class Registration
        def initialize(f, name, definition, log)
          @f = f
          @name = name
          @definition = definition
          @log = log
          @count = 0
        end

        def provide
          d = @definition
          kind = Json.str(d["type"]) || "value"
          return d["value"] if kind == "value"
          raise ArgumentError, "dependency '#{@name}': unknown type '#{kind}'" unless %w[factory async_factory].include?(kind)

          factory = Json.str(d["factory"]).to_s
          factory = @name if factory.empty?
          reads = Json.obj(d["parameters"])
          block = factory_block(factory, kind == "async_factory", d["cleanup"] == true, reads, Di.names(d["depends_on"]))
          options = { lifetime: Di.lifetime_of(d) }
          options[:parameters] = reads if reads
          Spikard::Provide.new(**options, &block)
        end

        private

        def create(factory, deps, req, reads)
          if %w[fail raise throw].any? { |w| factory.include?(w) }
            status = @f.expected_status
            raise Spikard::HTTPError.new(status, "factory #{factory} refused the request") if status >= 400 && status < 500

            raise "factory #{factory} failed"
          end
          # The parameters it read and the dependencies it got, by name.
          return Di.read_values(reads, req).merge(deps) if reads

          @count += 1
          { "factory" => factory, "id" => SecureRandom.uuid, "created_at" => Time.now.to_f, "count" => @count, "inputs" => deps.dup }
        end

        # The factory: a block taking its dependencies as keywords (and the request as
        # `request:`, to read parameters), and `&use` when it is cleaned up.
        def factory_block(factory, async, cleanup, reads, depends_on)
          label = Di.label_for(@name, @f)
          log = @log
          # A factory reading parameters takes the request as its `request:` keyword.
          keywords = reads ? ["request"] + depends_on : depends_on
          Di.keyword_block(keywords, positional: 0, use: cleanup) do |_args, given, use|
            Thread.pass if async
            deps = given.reject { |name, _| reads && name == "request" }
            value = create(factory, deps, given["request"], reads)
            next value unless cleanup

            log << "#{label}_opened"
            begin
              # The request's failure, if any, is raised from `use.call`.
              use.call(value)
            ensure
              log << "#{label}_closed"
            end
          end
        end
      end

      # Where the cleanup log is served: `[background.state_path, background.state_key]`.
      def state_route(f)
        bg = Json.obj(f.data["background"])
        path = Json.str(bg && bg["state_path"])
        return nil if bg.nil? || path.nil?

        [path, Json.str(bg["state_key"]) || "events"]
      end

      # Register the fixture's app-level dependencies (and its state route) on `app`; the
      # route's options: its overrides and expected types, deferred graph errors (the
      # handler's dependencies are its block's keywords).
      def configure(f, app)
        log = []
        (Json.obj(f.handler["dependencies"]) || {}).each do |name, definition|
          app.provide(name, Registration.new(f, name, Json.obj(definition) || {}, log).provide)
        end
        overrides = {}
        (Json.obj(f.handler["route_overrides"]) || {}).each do |name, definition|
          overrides[name] = Registration.new(f, name, Json.obj(definition) || {}, log).provide
        end
        expected_types = (Json.obj(f.handler["expected_types"]) || {}).select { |_, t| t.is_a?(String) }
        state = state_route(f)
        if state
          path, key = state
          app.get(path) { |_req| { key => log.dup } }
        end
        { dependencies: overrides, run_dependencies: names(f.handler["run_dependencies"]),
          expected_types: expected_types, defer_dependency_errors: true }
      end

      # The handler and route options of a DI fixture without hooks (`Hooks` builds DI fixtures with hooks).
      def build(f, app)
        return nil unless dependencies?(f)

        options = configure(f, app)
        needs = handler_needs(f)
        app_answers = Answers.application_answers?(f)
        keep_headers = !Answers.configures_middleware?(f)
        expected = f.expected
        returns = Json.str(f.handler["returns_dependency"])
        handler = keyword_block(needs) do |_args, deps|
          check_resolved(deps, needs)
          if returns
            # The handler answers with that dependency's value.
            check_resolved(deps, [returns])
            next deps[returns]
          end
          app_answers ? Answers.app_response(expected, keep_headers) : { "handler_called" => true }
        end
        Built.new(handler, options)
      end

      # After the request: the state log at `background.state_path` must equal `expected_state`.
      def after_check(f)
        state = state_route(f)
        return nil if !dependencies?(f) || state.nil?

        path, key = state
        bg = Json.obj(f.data["background"])
        expected = bg.key?("expected_state") ? bg["expected_state"] : nil
        lambda do |client|
          res = Fixtures.request(client, "GET", path, [])
          got = Json.get(Json.try_parse(res.body), key)
          Json.equal?(got, expected) ? [] : ["state #{path} #{key} = #{Json.dump(got)}, expected #{Json.dump(expected)}"]
        end
      end
    end
  end
end
