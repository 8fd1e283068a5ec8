# frozen_string_literal: true

# Fixture features that need more than the default "answer as the fixture expects"
# handler (mirrors `e2e/node/src/features/index.ts`, `e2e/python/features/__init__.py`
# and `e2e/rust/src/features`): lifecycle hooks and dependency injection named by the
# fixture, streamed bodies, background work, SSE and WebSocket message fixtures, OpenAPI
# apps. Each module recognises its fixtures and builds their handlers; the default
# handler plays the rest.
#
# A handler is a block taking the request (and, for dependency injection, its
# dependencies as keywords); a check is a lambda taking the test client and giving its
# problems.

module E2E
  module Features
    # A handler a feature module builds for the fixture's route, with the route options it
    # needs besides the fixture's own.
    Built = Struct.new(:handler, :options)
  end
end

require_relative "features/background"
require_relative "features/di"
require_relative "features/files"
require_relative "features/hooks"
require_relative "features/openapi"
require_relative "features/realtime"
require_relative "features/streaming"
require_relative "features/timing"
require_relative "features/websocket"

module E2E
  module Features
    module_function

    # The first module's handler for the fixture's route (hooks are registered on `app`),
    # or nil for the default handler. `fallback` is the handler answering as the fixture
    # expects (a module may wrap it).
    def build_route(f, app, fallback)
      built = Hooks.build(f, app) || Di.build(f, app)
      return built if built

      handler = Files.build(f) || Streaming.build(f) || Background.build(f, app, fallback)
      handler && Built.new(handler, {})
    end

    # Checks to run with the client after the fixture's request.
    def after_checks(f)
      [Background.after_check(f), Di.after_check(f)].compact
    end

    # Fixtures played whole by their module (SSE/WebSocket channels, OpenAPI apps): their
    # problems, or nil when no module plays the fixture whole.
    def play_without_request(f, app_answers)
      Realtime.play(f) || Openapi.play(f, app_answers)
    end
  end
end
