# frozen_string_literal: true

module Spikard
  # A server-side WebSocket connection. The route's block runs when a client connects and
  # registers what to do with its messages (`on_message`) and its end (`on_close`).
  class WebSocket
    # The upgrade request (path parameters, query, headers, cookies).
    attr_reader :request
    # Per-connection values the callbacks share.
    attr_reader :data

    def initialize(native, id, request)
      @native = native
      @id = id
      @request = request
      @data = {}
    end

    # Called with each message: a String, a binary String, or the parsed JSON when the
    # route has a `message_schema`.
    def on_message(&block) = @on_message = block
    # Called with the close code and reason once the connection ends.
    def on_close(&block) = @on_close = block

    def send_text(text) = @native.ws_send(@id, text.to_s, false)
    def send_json(value) = @native.ws_send(@id, JSON.generate(value), false)
    def send_bytes(bytes) = @native.ws_send(@id, bytes.to_s, true)

    # Close the connection (1000-4999).
    def close(code = 1000, reason = "") = @native.ws_close(@id, Integer(code), reason.to_s)

    # @api private
    def message(data) = @on_message&.call(data)

    # @api private
    def closed(code, reason) = @on_close&.call(code, reason)
  end
end
