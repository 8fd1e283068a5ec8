# frozen_string_literal: true

# Runner hints about time (mirrors `e2e/node/src/features/timing.ts` and
# `e2e/rust/src/features/timing.rs`): `handler.middleware.request_timeout.sleep_ms` makes
# the handler sleep that long before answering, so the request deadline is exercised for
# real; `handler.middleware.rate_limit.warmup_requests` sends the fixture's request that
# many times before the compared one (`warmup_expect_status`, `sleep_ms_between`).

require_relative "../fixture"
require_relative "../json"

module E2E
  module Features
    module Timing
      module_function

      def hint(f, middleware, key)
        Json.uint(Json.get(Json.get(f.handler["middleware"], middleware), key))
      end

      def sleep_ms(ms)
        sleep(ms / 1000.0)
      end

      def warmup(f, client)
        count = [hint(f, "rate_limit", "warmup_requests") || 0, 1000].min
        expect = hint(f, "rate_limit", "warmup_expect_status")
        pause = hint(f, "rate_limit", "sleep_ms_between") || 0
        problems = []
        count.times do |i|
          res = Fixtures.send_request(client, f.request)
          problems << "warmup request #{i + 1}: status #{res.status} != expected #{expect}" if expect && res.status != expect
          sleep_ms(pause) if pause.positive?
        end
        problems
      end
    end
  end
end
