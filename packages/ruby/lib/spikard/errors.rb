# frozen_string_literal: true

module Spikard
  # Any error the core raises; `code` is its stable machine-readable name.
  class Error < StandardError
    attr_reader :code

    def initialize(message = nil, code = "spikard-error")
      super(message)
      @code = code
    end
  end

  # A registration or setting that does not read.
  class ConfigError < Error; end

  # A route the router refuses (a conflict, a bad pattern).
  class RouteError < Error; end

  # The server could not start or serve.
  class ServerError < Error; end

  # An application's HTTP error: answered as an RFC 9457 problem with this status and
  # detail, these headers, and `extra` members in the problem.
  class HTTPError < StandardError
    attr_reader :status, :detail, :headers, :extra

    def initialize(status, detail = nil, headers: nil, **extra)
      super(detail || "HTTP #{status}")
      @status = Integer(status)
      @detail = detail
      @headers = headers
      @extra = extra
    end
  end

  # The error a failed request hands a dependency's cleanup when no exception was raised
  # (a later hook or dependency failed, the request was cancelled).
  class RequestFailed < StandardError
    attr_reader :status, :code

    def initialize(status, code, detail)
      super(detail)
      @status = status
      @code = code
    end
  end

  # An exception as the core reads it: an HTTPError's status and members, else its class
  # and message, and its backtrace (logged, never sent).
  def self.describe_error(error)
    if error.is_a?(HTTPError)
      extra = error.extra.empty? ? nil : error.extra.transform_keys(&:to_s)
      JSON.generate(status_code: error.status, detail: error.detail || "", headers: error.headers, extra: extra)
    else
      JSON.generate(message: "#{error.class.name}: #{error.message}",
                    stack: (error.backtrace || []).first(20).join("\n"))
    end
  rescue StandardError
    JSON.generate(message: "an exception", stack: "")
  end
end
