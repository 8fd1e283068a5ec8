# frozen_string_literal: true

require "minitest/autorun"
require "spikard"
require "timeout"
require "tmpdir"

# The next item of `queue`, waiting at most `seconds` (nil then); Ruby 3.1's Queue#pop has
# no timeout.
def pop_within(queue, seconds = 10)
  Timeout.timeout(seconds) { queue.pop }
rescue Timeout::Error
  nil
end
