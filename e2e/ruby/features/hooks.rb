# frozen_string_literal: true

# Fixtures with lifecycle hooks (`handler.middleware.lifecycle_hooks.<phase>`:
# `[{name, handler, config?, order?, dependencies?}]`), mirroring
# `e2e/node/src/features/hooks.ts` and `e2e/python/features/hooks.py` rule for rule. Hooks
# are application code, so the runner writes them in Ruby from the vocabulary keyed by
# words in the hook's `handler` (`testing_data/README.md`) and registers them with
# `app.on_request` / `pre_validation` / `pre_handler` and its response hooks with
# `app.on_response` / `on_error` (one route per app, so app hooks are the route's hooks).
#
# Every request hook appends its `name` to `req.state["hooks_run"]`; the handler refuses
# (500) unless the request hooks ran exactly in the declared order. Guards decide by their
# own rules and answer early with the fixture's expected error (or their own default).
# Expected headers no vocabulary hook produces are set by one "carrier" hook: the first
# hook declaring dependencies, else the last response hook of the expected response's
# phase, else the first request hook.
#
# A hook declaring dependencies is a block taking them as keyword arguments (as the
# package reads a block's dependencies) and refuses (500) unless each was resolved; the
# fixture's dependencies are registered by `Di.configure`, whose route options the
# handler's route takes.

require "securerandom"

require_relative "../answer"
require_relative "../json"
require_relative "../spikard"
require_relative "di"

module E2E
  module Features
    module Hooks
      PHASES = %w[on_request pre_validation pre_handler on_response on_error].freeze
      # Headers the security-headers hook sets (with these defaults unless the fixture expects other values).
      SECURITY_HEADERS = {
        "x-content-type-options" => "nosniff",
        "x-frame-options" => "DENY",
        "x-xss-protection" => "1; mode=block",
        "strict-transport-security" => "max-age=31536000; includeSubDomains",
        "referrer-policy" => "strict-origin-when-cross-origin",
        "content-security-policy" => "default-src 'self'"
      }.freeze
      GUARDS = %w[rate_limit authenticate authorize].freeze
      REQUEST_REGISTRATIONS = %i[on_request pre_validation pre_handler].freeze
      # Reason phrases (Node's `http.STATUS_CODES`, the error names of the Node runner's formatter).
      REASONS = {
        100 => "Continue", 101 => "Switching Protocols", 102 => "Processing", 103 => "Early Hints", 200 => "OK",
        201 => "Created", 202 => "Accepted", 203 => "Non-Authoritative Information", 204 => "No Content",
        205 => "Reset Content", 206 => "Partial Content", 207 => "Multi-Status", 208 => "Already Reported",
        226 => "IM Used", 300 => "Multiple Choices", 301 => "Moved Permanently", 302 => "Found", 303 => "See Other",
        304 => "Not Modified", 305 => "Use Proxy", 307 => "Temporary Redirect", 308 => "Permanent Redirect",
        400 => "Bad Request", 401 => "Unauthorized", 402 => "Payment Required", 403 => "Forbidden", 404 => "Not Found",
        405 => "Method Not Allowed", 406 => "Not Acceptable", 407 => "Proxy Authentication Required",
        408 => "Request Timeout", 409 => "Conflict", 410 => "Gone", 411 => "Length Required",
        412 => "Precondition Failed", 413 => "Payload Too Large", 414 => "URI Too Long",
        415 => "Unsupported Media Type", 416 => "Range Not Satisfiable", 417 => "Expectation Failed",
        418 => "I'm a Teapot", 421 => "Misdirected Request", 422 => "Unprocessable Entity", 423 => "Locked",
        424 => "Failed Dependency", 425 => "Too Early", 426 => "Upgrade Required", 428 => "Precondition Required",
        429 => "Too Many Requests", 431 => "Request Header Fields Too Large", 451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error", 501 => "Not Implemented", 502 => "Bad Gateway", 503 => "Service Unavailable",
        504 => "Gateway Timeout", 505 => "HTTP Version Not Supported", 506 => "Variant Also Negotiates",
        507 => "Insufficient Storage", 508 => "Loop Detected", 509 => "Bandwidth Limit Exceeded",
        510 => "Not Extended", 511 => "Network Authentication Required"
      }.freeze

      HookDef = Struct.new(:phase, :name, :kind, :deps, :config)
      Scenario = Struct.new(:expected, :expected_status, :app_error, :carried, :security, :time_header)

      module_function

      # The vocabulary word of a hook's `handler` name, with what it needs to know.
      def kind_of(handler, phase, config)
        h = handler.downcase
        request_phase = phase < 3
        has = ->(w) { h.include?(w) }
        return ["fail", {}] if has["panic"] || has["raise"] || has["throw"] || h.start_with?("fail")
        if has["rate_limit"] || has["ratelimit"]
          return ["rate_limit", { max: Json.uint(config["max_requests"]) || (2**63), window: Json.uint(config["window_seconds"]) || 60 }]
        end
        return ["request_id", {}] if has["request_id"]
        return ["security", {}] if has["security"]
        return ["error_format", {}] if has["error"] && (has["format"] || has["transform"])
        return ["response_time", {}] if has["response_time"] || (!request_phase && (has["timing"] || has["timer"]))
        return ["start_timer", {}] if request_phase && (has["start_time"] || has["timer"])
        if has["admin"] || has["role"] || has["permission"] || has["authoriz"]
          return ["authorize", { admin: has["admin"] || has["role"] }]
        end
        return ["authenticate", {}] if has["auth"] || has["token"]
        return ["log", {}] if has["log"] || has["audit"]

        ["other", {}]
      end

      # The fixture's hooks, phase by phase, each phase sorted by `order` (stable).
      def hook_defs(f)
        config = Json.obj(Json.get(f.handler["middleware"], "lifecycle_hooks")) || Json.obj(f.data["lifecycle_hooks"])
        return nil if config.nil?

        PHASES.each_with_index.flat_map do |key, phase|
          entries = (Json.arr(config[key]) || []).select { |e| e.is_a?(Hash) }
          order = ->(e) { e["order"].is_a?(Numeric) ? e["order"] : Float::INFINITY }
          entries = entries.each_with_index.sort_by { |e, i| [order.call(e), i] }.map(&:first)
          entries.map do |e|
            name = Json.str(e["name"]).to_s
            name = "hook" if name.empty?
            handler = Json.str(e["handler"]).to_s
            kind, settings = kind_of(handler.empty? ? name : handler, phase, Json.obj(e["config"]) || {})
            HookDef.new(phase, name, kind, Di.names(e["dependencies"]), settings)
          end
        end
      end

      # A header value standing for a fixture placeholder.
      def concrete(want)
        return nil if want == "<<absent>>"
        return SecureRandom.uuid if ["<<uuid>>", "<<present>>", ".*"].include?(want)

        want.split(".*", -1).join("0")
      end

      # The reply of a hook answering early: the fixture's expected response when the
      # application answers it, else its own `{error, message}`; `headers` added.
      def early_reply(s, status, error, message, headers = [])
        if s.app_error
          begin
            reply = Answers.reply(s.expected, false)
            reply.headers.concat(headers)
            return reply
          rescue FixtureError
            # The fixture expects the generic 500: answer with the hook's own body.
          end
        end
        Reply.new(status, { "error" => error, "message" => message }, headers.dup, nil, [])
      end

      def early_answer(s, status, error, message, headers = [])
        early_reply(s, status, error, message, headers).build
      end

      # Expected headers no vocabulary hook (or configured middleware) produces.
      def unclaimed_headers(f, defs)
        kinds = defs.map(&:kind)
        middleware = Json.obj(f.handler["middleware"]) || {}
        out = {}
        (Json.obj(f.expected["headers"]) || {}).each do |name, want|
          lower = name.downcase
          claimed =
            lower == "content-type" ||
            lower.start_with?("access-control-") ||
            %w[vary content-encoding content-length transfer-encoding].include?(lower) ||
            (lower == "x-request-id" && (kinds.include?("request_id") || middleware.key?("request_id"))) ||
            (lower.include?("response-time") && kinds.include?("response_time")) ||
            (SECURITY_HEADERS.key?(lower) && kinds.include?("security")) ||
            (lower == "retry-after" && kinds.include?("rate_limit"))
          value = want.is_a?(String) && !claimed ? concrete(want) : nil
          out[lower] = value unless value.nil?
        end
        out.to_a
      end

      # The security headers and response-time header name the fixture expects.
      def scenario(f, defs)
        security = {}
        time_header = "x-response-time"
        (Json.obj(f.expected["headers"]) || {}).each do |name, want|
          lower = name.downcase
          next unless want.is_a?(String)

          time_header = lower if lower.include?("response-time")
          security[lower] = want if SECURITY_HEADERS.key?(lower) && !want.start_with?("<<") && !want.include?(".*")
        end
        Scenario.new(f.expected, f.expected_status, Answers.application_answers?(f) && f.expected_status >= 400,
                     unclaimed_headers(f, defs), security.to_a, time_header)
      end

      def bearer(req)
        raw = req.headers["authorization"]
        scheme, *rest = (raw.is_a?(String) ? raw : "").split(" ", -1)
        token = rest.join(" ").strip
        scheme.to_s.downcase == "bearer" && !token.empty? ? token : nil
      end

      def valid?(token)
        !token.nil? && !token.downcase.include?("invalid") && !token.downcase.include?("expired")
      end

      # A request-phase hook of the vocabulary: a block taking the request and the hook's
      # dependencies (keywords).
      def request_hook(d, s, carrier, answers)
        count = 0
        Di.keyword_block(d.deps) do |(req), deps|
          Di.check_resolved(deps, d.deps)
          state = req.state
          run = state["hooks_run"].is_a?(Array) ? state["hooks_run"] : (state["hooks_run"] = [])
          run << d.name
          raise "hook #{d.name} failed as the fixture asks" if d.kind == "fail"

          if d.kind == "rate_limit"
            count += 1
            if count > d.config[:max]
              next early_answer(s, 429, "Rate limit exceeded", "Too many requests, please try again later",
                                [["retry-after", d.config[:window].to_s]])
            end

            state["rate_limit_checked"] = true
          elsif d.kind == "authenticate"
            token = bearer(req)
            next early_answer(s, 401, "Unauthorized", "Invalid or expired authentication token") unless valid?(token)

            state["authenticated"] = true
            state["token"] = token
          elsif d.kind == "authorize"
            token = bearer(req)
            unless valid?(token) && (!d.config[:admin] || token.downcase.include?("admin"))
              next early_answer(s, 403, "Forbidden", "Insufficient permissions for this endpoint")
            end

            state["authorized"] = true
          elsif d.kind == "request_id"
            state["request_id"] = SecureRandom.uuid
            req.reply_header("x-request-id", state["request_id"])
          elsif d.kind == "start_timer"
            state["start_time"] = Time.now.to_f
          elsif d.kind == "log"
            state["request_logged"] = true
          end
          s.carried.each { |(name, value)| req.reply_header(name, value) } if carrier
          next early_answer(s, 500, "Error", "hook answered") if answers

          nil
        end
      end

      # A response-phase hook of the vocabulary (`{ |res, req| }`, `res` a `Spikard::HookResponse`).
      def response_hook(d, s, carrier)
        proc do |res, req|
          replaced = nil
          case d.kind
          when "fail"
            raise "hook #{d.name} failed as the fixture asks"
          when "security"
            SECURITY_HEADERS.merge(s.security.to_h).each { |name, value| res.headers[name] = value }
          when "response_time"
            res.headers[s.time_header] = format("%.3fms", req.elapsed * 1000)
          when "request_id"
            id = req.state["request_id"]
            res.headers["x-request-id"] = id ? id.to_s : SecureRandom.uuid
          when "error_format"
            replaced = formatted(res, s) if res.status >= 400
          end
          if carrier
            s.carried.each do |(name, value)|
              if replaced then replaced.set_header(name, value)
              else res.headers[name] = value
              end
            end
          end
          replaced&.build
        end
      end

      # The application's error body for an error response, keeping its headers (but its type).
      def formatted(res, s)
        status = res.status
        out =
          if s.app_error && status == s.expected_status
            early_reply(s, status, "", "")
          else
            Reply.new(status, { "error" => REASONS.fetch(status, "Error"), "message" => "An unexpected error occurred" }, [], nil, [])
          end
        present = out.headers.map { |(k, _)| k.downcase }
        res.headers.each do |name, value|
          lower = name.to_s.downcase
          next if lower == "content-type" || present.include?(lower)

          Array(value).each { |v| out.headers << [name.to_s, v.to_s] }
        end
        out
      end

      # The handler of a fixture with hooks, its hooks registered on `app`; nil without hooks.
      def build(f, app)
        defs = hook_defs(f)
        return nil if defs.nil?

        s = scenario(f, defs)
        formats_errors = defs.any? { |d| d.phase == 4 && d.kind == "error_format" }
        expected_run = defs.select { |d| d.phase < 3 }.map(&:name)
        guarded = defs.any? { |d| d.phase < 3 && GUARDS.include?(d.kind) }
        others = defs.each_index.select { |i| defs[i].phase < 3 && defs[i].kind == "other" }
        answering = s.app_error && !guarded && !others.empty? ? others.last : nil
        response_phase = f.expected_status >= 400 ? 4 : 3
        with_deps = defs.each_index.select { |i| !defs[i].deps.empty? }
        in_phase = defs.each_index.select { |i| defs[i].phase == response_phase }
        requests = defs.each_index.select { |i| defs[i].phase < 3 }
        carrier = with_deps.first || in_phase.last || requests.first
        defs.each_with_index do |d, i|
          case d.phase
          when 3 then app.on_response(&response_hook(d, s, carrier == i))
          when 4 then app.on_error(&response_hook(d, s, carrier == i))
          else app.public_send(REQUEST_REGISTRATIONS[d.phase], &request_hook(d, s, carrier == i, answering == i))
          end
        end
        options = Di.dependencies?(f) ? Di.configure(f, app) : {}
        needs = Di.handler_needs(f)
        app_answers = Answers.application_answers?(f)
        status = f.expected_status
        handler = Di.keyword_block(needs) do |(req), deps|
          run = req.state["hooks_run"].is_a?(Array) ? req.state["hooks_run"] : []
          raise "request hooks ran as #{Json.dump(run)}, expected #{Json.dump(expected_run)}" if run != expected_run

          Di.check_resolved(deps, needs)
          if s.app_error && formats_errors
            raise "handler raised as the fixture asks" if status == 500

            raise Spikard::HTTPError.new(status, "handler raised as the fixture asks")
          end
          app_answers ? Answers.app_response(s.expected, false) : { "handler_called" => true }
        end
        Built.new(handler, options)
      end
    end
  end
end
