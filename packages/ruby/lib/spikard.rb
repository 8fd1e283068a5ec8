# frozen_string_literal: true

# Spikard for Ruby: routing, coercion, validation, problems, middleware, dependency
# injection, streaming, SSE and WebSockets run in Spikard's Rust core; handlers are blocks.
# See packages/ruby/README.md.
require "json"
require_relative "spikard/errors"
require_relative "spikard/spikard_rb"
require_relative "spikard/config"
require_relative "spikard/response"
require_relative "spikard/request"
require_relative "spikard/di"
require_relative "spikard/websocket"
require_relative "spikard/streams"
require_relative "spikard/dispatch"
require_relative "spikard/app"
require_relative "spikard/testing"
require_relative "spikard/rack"
