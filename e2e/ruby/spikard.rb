# frozen_string_literal: true

# The one load point of the package under test (`packages/ruby/lib`, put on the load path
# by `ruby -I packages/ruby/lib`, or here when the runner is started without it): the
# runner uses its public API only (`Spikard::App`, `Spikard::TestClient`, `Spikard::Response`,
# `Spikard::StreamingResponse`, `Spikard::EventSourceResponse`, `Spikard::Provide`,
# `Spikard::HTTPError`).

lib = File.expand_path("../../packages/ruby/lib", __dir__)
$LOAD_PATH.unshift(lib) unless $LOAD_PATH.any? { |p| File.expand_path(p) == lib }

require "spikard"
