# frozen_string_literal: true

module Spikard
  # The request a handler or hook gets: parameters and body validated and coerced by the
  # core, read when first asked for.
  class Request
    # The upgrade request of a WebSocket, or a request the core did not hand over.
    EMPTY = Object.new.freeze

    # @api private
    attr_reader :tasks, :replied

    def initialize(native)
      @native = native
    end

    def method = @method ||= @native.method
    # The percent-decoded path.
    def path = @path ||= @native.path
    # Path parameters by Symbol, coerced to their types (`{id:int}` is an Integer).
    def path_params = @path_params ||= @native.path_params
    alias params path_params
    # Query parameters by Symbol: declared ones coerced with their defaults, others as sent.
    def query = @query ||= @native.query
    # Headers by lower-case name.
    def headers = @headers ||= @native.headers
    # Cookies by Symbol.
    def cookies = @cookies ||= @native.cookies

    # The validated JSON body (Hashes with String keys), a form's fields, or `nil`.
    def body
      return @body if defined?(@body)

      @body = @native.body
    end

    # The body bytes as received.
    def raw_body = @raw_body ||= @native.raw_body
    # Uploaded files (Hashes: `field_name`, `filename`, `content_type`, `data`, `size`).
    def files = @files ||= @native.files
    # The client's address, or `nil`.
    def client = @native.client
    # A `raw_request` route's target as received: `[path, query, "HTTP/1.1", authority]`
    # (query and authority `nil` when absent); `nil` on other routes.
    def raw_target = @raw_target ||= @native.raw_target

    # Values hooks, middleware and the handler share; what a hook sets the next one sees.
    def state
      @state ||= @native.state
    end

    # Add a header to the response this request gets (whoever answers it).
    def reply_header(name, value)
      (@replied ||= []) << [name.to_s, value.to_s]
      self
    end

    # Run the block in the background once this call has answered (the server waits for
    # it when it shuts down).
    def add_task(&task)
      raise ArgumentError, "add_task takes a block" unless task

      (@tasks ||= []) << task
      self
    end

    # @api private: whether the call may have changed the state.
    def state_read? = !@state.nil?
  end

  # What a response hook knows of the request: `method`, `path`, `state`, `elapsed`.
  HookRequest = Struct.new(:method, :path, :state, :elapsed, keyword_init: true)
end
