# frozen_string_literal: true

module Spikard
  # The Ruby side of the core's dispatcher (crates/spikard-rb, pool.rs): the table of
  # functions the core calls by index, and the pool of Ruby threads that take the queued
  # calls (waiting with the GVL released) and settle each by id.
  class Dispatcher
    # A registered function: `kind` is :request (handlers), :hook (request hooks),
    # :factory, :response (response hooks) or :ws; `keywords` the dependencies it takes.
    Entry = Struct.new(:kind, :callable, :keywords, :role, keyword_init: true)

    # Calls a thread takes at a time: one, so a handler that blocks never holds up a call
    # another thread could run (a thread holding the GVL takes the next one at once).
    BATCH = 1

    NATIVE = Native
    private_constant :NATIVE

    def initialize(native)
      @native = native
      @functions = []
      @sockets = {}
      @threads = []
      @lock = Mutex.new
    end

    # Register a function; its index.
    def register(entry)
      @functions << entry
      @functions.length - 1
    end

    # The threads that run calls (the test of the GVL rule reads them).
    def threads = @lock.synchronize { @threads.dup }

    # Keep `value` for the core; its handle.
    def hold(value) = @native.hold(value)

    # Start `count` threads (once; more if asked for more later).
    def start(count)
      @lock.synchronize do
        @threads.select!(&:alive?)
        @native.open_threads if @threads.empty?
        (count - @threads.length).times do |i|
          thread = Thread.new { work }
          thread.name = "spikard-#{@threads.length + i + 1}"
          thread.report_on_exception = true
          @threads << thread
        end
      end
    end

    # Stop the threads (they finish the calls they took).
    def stop
      @lock.synchronize do
        @native.stop_threads
        @threads.each { |t| t.join(5) }
        @threads.clear
      end
    end

    private

    def work
      while (calls = @native.take_calls(BATCH))
        calls.each { |id, func, args| run(id, func, args) }
      end
    end

    def run(id, func, args)
      settled = false
      settled = special(id, func, args) || call(id, @functions.fetch(func), args)
    rescue StandardError, ScriptError => e
      fail_call(id, e)
      settled = true
    ensure
      # Whatever happened (a thread killed mid-call), the request gets an answer.
      fail_call(id, RuntimeError.new("the call ended without a result")) unless settled
    end

    # A special function's call (true), or nil for a registered one.
    def special(id, func, args)
      case func
      when NATIVE::RESUME then @native.held(args[0])&.resume(id, failure(args[1])) || done(id)
      when NATIVE::NEXT_CHUNK, NATIVE::NEXT_EVENT then pull(id, func == NATIVE::NEXT_EVENT, @native.held(args[0]))
      when NATIVE::CLOSE
        @native.held(args[0])&.close
        done(id)
      when NATIVE::RUN_TASK
        @native.held(args[0])&.call
        done(id)
      end
    end

    def call(id, entry, args)
      case entry.kind
      when :request, :hook then request_call(id, entry, args)
      when :factory then factory_call(id, entry, args)
      when :response then response_call(id, entry, args)
      else socket_call(id, entry, args)
      end
      true
    end

    def done(id)
      @native.settle_json(id, "null", nil)
      true
    end

    def fail_call(id, error)
      @native.settle_error(id, Spikard.describe_error(error), @native.hold(error))
    end

    # The request and the keyword arguments of a call: `[request, dependency values...]`.
    def request_and_keywords(entry, args)
      request = Request.new(args[0])
      keywords = {}
      entry.keywords.each_with_index do |name, i|
        value = args[i + 1]
        keywords[name.to_sym] = value unless value.equal?(NATIVE::ABSENT)
      end
      [request, keywords]
    end

    def request_call(id, entry, args)
      request, keywords = request_and_keywords(entry, args)
      result = keywords.empty? ? entry.callable.call(request) : entry.callable.call(request, **keywords)
      # A hook answers early only with a response; any other value (a block's last
      # expression) goes on.
      result = nil if entry.kind == :hook && !Spikard.response?(result)
      settle(id, result, request)
    end

    def factory_call(id, entry, args)
      request, keywords = request_and_keywords(entry, args)
      provide = entry.callable
      keywords[:request] = request if Spikard.keywords(provide.factory).include?("request")
      return Generator.start(self, @native, id, provide.factory, keywords) if provide.generator?

      value = provide.factory.call(**keywords)
      @native.settle_dependency(id, hold(value), Spikard.json_type(value), nil)
    end

    def response_call(id, entry, args)
      res = HookResponse.new(args[0])
      summary = args[1] || {}
      req = HookRequest.new(method: summary["method"], path: summary["path"], state: summary["state"] || {},
                            elapsed: summary["elapsed"])
      hook = entry.callable
      result = hook.arity == 1 ? hook.call(res) : hook.call(res, req)
      # Another response replaces it; any other value keeps the response as changed.
      return settle(id, result, nil) if Spikard.response?(result)

      status, pairs, kind, body = res.left
      @native.settle_response(id, status, pairs, kind, body, nil, nil, nil)
    end

    def socket_call(id, entry, args)
      ws_id = args[0]
      case entry.role
      when :open
        socket = WebSocket.new(@native, ws_id, Request.new(args[1]))
        @sockets[ws_id] = socket
        entry.callable.call(socket)
      when :message then @sockets[ws_id]&.message(args[1])
      else close_socket(ws_id, args[1], args[2])
      end
      done(id)
    end

    def close_socket(ws_id, code, reason)
      @sockets.delete(ws_id)&.closed(code, reason)
    ensure
      @native.ws_release(ws_id)
    end

    # A stream's next item, settled when the items produce it.
    def pull(id, events, items)
      raise "the stream's items are gone" if items.nil?

      items.pull do |more, item|
        if more == :error then fail_call(id, item)
        elsif !more then events ? @native.settle_event(id, nil) : @native.settle_chunk(id, nil)
        elsif events then @native.settle_event(id, JSON.generate(Spikard.event_of(item)))
        else chunk(id, item)
        end
      rescue StandardError => e
        fail_call(id, e)
      end
      true
    end

    def chunk(id, item)
      raise TypeError, "a streamed chunk must be a String, not #{item.class}" unless item.is_a?(String)

      @native.settle_chunk(id, item)
    end

    # Why the request failed, as the exception to raise at a generator's `use.call`.
    def failure(arg)
      case arg
      when nil then nil
      when Exception then arg
      when Hash
        if arg["cancelled"] then RequestFailed.new(499, "cancelled", "the request was cancelled")
        else RequestFailed.new(arg["status"] || 500, arg["code"] || "internal-server-error", arg["detail"].to_s)
        end
      end
    end

    # A handler's result as the core's response.
    def settle(id, value, request)
      raise value if value.is_a?(Exception)

      fx = request && effects(request)
      case value
      when Response
        pairs = value.headers.dup
        kind, body = Spikard.body_of(value.body, pairs)
        @native.settle_response(id, value.status, pairs, kind, body, nil, nil, fx)
      when FileResponse
        @native.settle_response(id, value.status, value.headers, "file", value.spec, nil, nil, fx)
      when StreamingResponse, EventSourceResponse
        kind = value.is_a?(StreamingResponse) ? "stream" : "sse"
        keep_alive = value.is_a?(EventSourceResponse) ? value.keep_alive : nil
        @native.settle_response(id, value.status, value.headers, kind, nil, hold(Items.of(value.content)),
                                keep_alive, fx)
      when String
        pairs = []
        kind, body = Spikard.body_of(value, pairs)
        @native.settle_response(id, 200, pairs, kind, body, nil, nil, fx)
      else
        # Core types are written natively; anything else through its `to_json`.
        @native.settle_value(id, value, fx) || @native.settle_json(id, JSON.generate(value), fx)
      end
    end

    # The state (when it was read), reply headers and background tasks a call left.
    def effects(request)
      return nil unless request.state_read? || request.replied || request.tasks

      state = request.state_read? ? JSON.generate(request.state) : nil
      [state, request.replied, request.tasks&.map { |t| hold(t) }]
    end
  end

  # Whether a hook's result is a response (which answers early or replaces the response).
  def self.response?(value)
    value.is_a?(Response) || value.is_a?(StreamingResponse) || value.is_a?(EventSourceResponse)
  end

  # An event stream's item as an event description.
  def self.event_of(item)
    item.is_a?(Hash) ? item : { data: item }
  end

  # A dependency cleaned up after the response: its factory runs on a thread of its own
  # (it stays suspended in `use.call` until the response was sent), which settles the
  # dependency's call with the value and the cleanup's call once the factory returns.
  class Generator
    def self.start(dispatcher, native, id, factory, keywords)
      new(dispatcher, native).tap { |g| g.run(id, factory, keywords) }
    end

    def initialize(dispatcher, native)
      @dispatcher = dispatcher
      @native = native
      @resumed = Queue.new
    end

    def run(id, factory, keywords)
      Thread.new do
        started = false
        resume_id = nil
        begin
          factory.call(**keywords) do |value|
            raise "a dependency's factory may call its block only once" if started

            started = true
            @native.settle_dependency(id, @dispatcher.hold(value), Spikard.json_type(value), @dispatcher.hold(self))
            resume_id, error = @resumed.pop
            raise error if error

            value
          end
          raise "the dependency's factory returned without calling its block" unless started
        rescue StandardError, ScriptError => e
          # Before the value: the dependency failed; after it: the request's error went through.
          started ? nil : @native.settle_error(id, Spikard.describe_error(e), @dispatcher.hold(e))
        ensure
          @native.settle_json(resume_id, "null", nil) if resume_id
        end
      end
    end

    # Called by the dispatcher with the cleanup call's id and the request's error (or nil).
    def resume(id, error)
      @resumed << [id, error]
      true
    end
  end
end
