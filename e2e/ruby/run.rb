# frozen_string_literal: true

# Plays every fixture of `testing_data/` (or `SPIKARD_FIXTURES=DIR`) through the Ruby
# package (`packages/ruby`) and ends with `N passed, M failed, K skipped` (as the Rust,
# Python and Node runners). Fixtures listed in `e2e/known_failures.json` (or
# `e2e/ruby/known_failures.json`) that fail are counted as skipped; a listed fixture that
# passes fails the run (stale list). Every other fixture is played, including those using
# features the package lacks (they fail with the reason). Exit status 1 when anything
# failed, 2 when the fixtures cannot be read. `SPIKARD_FILTER=text` plays only the
# fixtures whose id contains the text.
#
#     ruby -w -I packages/ruby/lib e2e/ruby/run.rb

require_relative "fixture"
require_relative "known"
require_relative "play"

module E2E
  module_function

  def main
    dir = Fixtures.dir
    begin
      fixtures = Fixtures.load_dir(dir)
      known = KnownFailures.load
    rescue StandardError => e
      warn e.message
      return 2
    end
    filter = ENV.fetch("SPIKARD_FILTER", "")
    fixtures = fixtures.select { |f| f.id.include?(filter) } unless filter.empty?
    if fixtures.empty?
      warn "no fixtures found in #{dir}"
      return 2
    end
    puts "playing #{fixtures.length} fixtures from #{dir}"
    tally = Tally.new
    fixtures.each do |f|
      if f.data["skip"] == true
        tally.skip(f)
        next
      end
      tally.add(f, Play.outcome(f), known)
    end
    puts "by category:"
    tally.categories.each { |line| puts line }
    puts tally.summary
    tally.failed.positive? ? 1 : 0
  end
end

$stdout.sync = true
exit(E2E.main)
