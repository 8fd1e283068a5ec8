# frozen_string_literal: true

# Fixtures with a `background` section (mirrors `e2e/node/src/features/background.ts`,
# `e2e/python/features/background.py` and `e2e/rust/src/features/background.rs`): the
# handler answers as the fixture expects and schedules, with `req.add_task`, a task
# appending the request body's `value_field` to a shared list; `GET state_path` returns
# `{state_key: [...]}`. The after-check polls that route until it shows `expected_state`
# (bounded).

require_relative "../json"
require_relative "di"

module E2E
  module Features
    module Background
      # How long the after-check waits for the background work to show, in seconds.
      STATE_WAIT = 5.0

      Section = Struct.new(:state_path, :state_key, :value_field, :expected_state)

      module_function

      def section(f)
        s = f.data["background"]
        return nil if !s.is_a?(Hash) || Di.dependencies?(f)

        %w[state_path state_key value_field].each do |k|
          raise "background.#{k} is missing" unless s[k].is_a?(String)
        end
        Section.new(s["state_path"], s["state_key"], s["value_field"], s.key?("expected_state") ? s["expected_state"] : [])
      end

      # The handler of a `background` fixture (it wraps `fallback`, the handler answering as
      # the fixture expects, and registers the state route on `app`); nil otherwise.
      def build(f, app, fallback)
        sec = section(f)
        return nil if sec.nil?

        state = []
        lock = Mutex.new
        app.get(sec.state_path) { |_req| { sec.state_key => lock.synchronize { state.dup } } }
        append = lambda do |value|
          Thread.pass
          lock.synchronize { state << value }
        end
        proc do |req|
          body = req.body
          if body.is_a?(Hash) && body.key?(sec.value_field)
            value = body[sec.value_field]
            req.add_task { append.call(value) }
          end
          fallback.call(req)
        end
      end

      # Poll the state route until it shows the expected state, or report what it showed.
      def after_check(f)
        begin
          sec = section(f)
        rescue RuntimeError => e
          message = e.message
          return ->(_client) { [message] }
        end
        return nil if sec.nil?

        want = { sec.state_key => sec.expected_state }
        lambda do |client|
          deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + STATE_WAIT
          loop do
            res = client.get(sec.state_path)
            text = res.text
            return [] if res.status == 200 && Json.equal?(Json.try_parse(text), want)
            if Process.clock_gettime(Process::CLOCK_MONOTONIC) >= deadline
              return ["background state at #{sec.state_path}: #{text} (status #{res.status}), expected #{Json.dump(want)}"]
            end

            sleep(0.01)
          end
        end
      end
    end
  end
end
