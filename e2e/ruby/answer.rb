# frozen_string_literal: true

# What the fixture's application answers (mirrors `e2e/node/src/answer.ts`,
# `e2e/python/answer.py` and the application side of `e2e/rust/src/play.rs`): whether the
# application (not the framework) produces the expected response, and that response
# built from the fixture.

require_relative "json"
require_relative "spikard"

module E2E
  # The handler raises as the fixture asks (an expected 500 internal-server-error).
  class FixtureError < StandardError; end

  # A response about to be built: `headers` as `[name, value]` pairs, the content type
  # apart (it names the media type of a text body), cookies as `[name, spec]`.
  Reply = Struct.new(:status, :body, :headers, :content_type, :cookies) do
    # The `Spikard::Response` (cookies through `Response#set_cookie`).
    def build
      options = { status: status, body: body, headers: headers }
      options[:content_type] = content_type if content_type
      response = Spikard::Response.new(**options)
      cookies.each do |(name, spec)|
        value, attributes = Answers.cookie_arguments(spec)
        response.set_cookie(name, value, **attributes)
      end
      response
    end

    # Set `name` (lowercase) on the header pairs, replacing its values.
    def set_header(name, value)
      if name == "content-type"
        self.content_type = value
        return
      end
      headers.reject! { |(k, _)| k.downcase == name }
      headers << [name, value]
    end
  end

  module Answers
    # Statuses the framework answers even in `status_codes`/`lifecycle_hooks`.
    FRAMEWORK_STATUSES = [400, 405, 413, 422, 431].freeze
    # Headers owned by middleware, never returned by the application.
    MIDDLEWARE_HEADERS = %w[vary content-encoding content-length x-request-id transfer-encoding].freeze
    # The media type of a text body unless the fixture's headers name one.
    TEXT = "text/plain; charset=utf-8"

    module_function

    # Whether the application (the handler) produces the expected response.
    def application_answers?(f)
      status = f.expected_status
      status < 400 || (%w[status_codes lifecycle_hooks].include?(f.category) && !FRAMEWORK_STATUSES.include?(status))
    end

    def configures_middleware?(f)
      f.handler.key?("middleware") || f.handler.key?("cors") || f.data.key?("lifecycle_hooks")
    end

    # Whether a body is an RFC 9457 problem object (`type`, `title` and `status`).
    def problem?(value)
      o = Json.obj(value)
      !o.nil? && o.key?("type") && o.key?("title") && o.key?("status")
    end

    # The detail of the HTTP error the application raises when the expected body is the
    # problem the framework builds for one (`type`, `title`, `status`, `detail`, nothing else).
    def raised_http_error(status, body)
      o = Json.obj(body)
      return nil if status < 400 || o.nil? || o.size != 4 || !%w[type title status detail].all? { |k| o.key?(k) }

      type = o["type"]
      ours = type.is_a?(String) && type.start_with?("https://spikard.dev/errors/")
      ours ? Json.str(o["detail"]) : nil
    end

    # The `Set-Cookie` value for a fixture cookie (as the Rust `Cookie::to_header_value`):
    # `{value, max_age, path, domain, secure, httponly, samesite}` or a plain string.
    def set_cookie_value(name, spec)
      m = Json.obj(spec) || {}
      value = spec.is_a?(String) ? spec : (Json.str(m["value"]) || "")
      out = +"#{name}=#{value}"
      max_age = m["max_age"]
      out << "; Max-Age=#{max_age}" if max_age.is_a?(Integer)
      domain = Json.str(m["domain"])
      out << "; Domain=#{domain}" if domain
      path = Json.str(m["path"])
      out << "; Path=#{path}" if path
      out << "; Secure" if m["secure"] == true
      out << "; HttpOnly" if (m.key?("httponly") ? m["httponly"] : m["http_only"]) == true
      same_site = Json.str(m["samesite"]) || Json.str(m["same_site"])
      out << "; SameSite=#{same_site[0].to_s.upcase}#{same_site[1..].to_s.downcase}" if same_site
      out
    end

    # `Response#set_cookie(name, value, **attributes)` arguments for a fixture cookie (the
    # attributes `set_cookie_value` writes, absent ones left out).
    def cookie_arguments(spec)
      m = Json.obj(spec) || {}
      value = spec.is_a?(String) ? spec : (Json.str(m["value"]) || "")
      attributes = {}
      attributes[:max_age] = m["max_age"] if m["max_age"].is_a?(Integer)
      attributes[:domain] = m["domain"] if m["domain"].is_a?(String)
      attributes[:path] = m["path"] if m["path"].is_a?(String)
      attributes[:secure] = true if m["secure"] == true
      attributes[:http_only] = true if (m.key?("httponly") ? m["httponly"] : m["http_only"]) == true
      same_site = Json.str(m["samesite"]) || Json.str(m["same_site"])
      attributes[:same_site] = same_site if same_site
      [value, attributes]
    end

    # The application's response as the fixture expects it, not yet built (raises the
    # fixture's error when it asks).
    def reply(expected, keep_headers)
      raw_status = expected["status_code"]
      status = raw_status.is_a?(Numeric) && !raw_status.zero? ? raw_status.truncate : 200
      body = expected["body"]
      type = Json.get(body, "type")
      raise FixtureError, "handler raised as the fixture asks" if status == 500 && type.is_a?(String) && type.end_with?("/internal-server-error")

      detail = raised_http_error(status, body)
      raise Spikard::HTTPError.new(status, detail) if detail

      headers = []
      content_type = nil
      if keep_headers
        (Json.obj(expected["headers"]) || {}).each do |name, value|
          lower = name.downcase
          next if !value.is_a?(String) || lower.start_with?("access-control-") || MIDDLEWARE_HEADERS.include?(lower) || value.start_with?("<<") || value == ".*"

          if lower == "content-type" then content_type = value
          else headers << [name, value]
          end
        end
      end
      cookies = (Json.obj(expected["cookies"]) || {}).to_a
      # A string body goes as text (`text/plain; charset=utf-8` unless the headers name a type).
      content_type ||= TEXT if body.is_a?(String)
      Reply.new(status, body, headers, content_type, cookies)
    end

    # The application's response as the fixture expects it (raises the fixture's error when it asks).
    def app_response(expected, keep_headers)
      reply(expected, keep_headers).build
    end
  end
end
