# frozen_string_literal: true

# Known failures (`e2e/known_failures.json`, shared with the Rust, Python and Node
# runners, and `e2e/ruby/known_failures.json`, what only Ruby cannot do): fixtures or
# whole categories that cannot pass yet, each with its reason. A listed fixture that
# fails is counted as skipped; one that passes fails the run, so the list never goes
# stale (mirrors `e2e/node/src/known.ts` and `e2e/rust/src/known.rs`).
#
# Unlike the Python runner there is no `pending.json`: every fixture is played, and a
# feature the package lacks fails its fixtures with that reason.

require_relative "fixture"
require_relative "json"

module E2E
  KNOWN_FAILURES = File.join(ROOT, "e2e", "known_failures.json")
  # Fixtures only Ruby cannot pass.
  RUBY_KNOWN_FAILURES = File.join(ROOT, "e2e", "ruby", "known_failures.json")

  class KnownFailures
    # Category name -> reason.
    attr_reader :categories
    # `category/file.json` -> reason.
    attr_reader :fixtures

    # The shared list and the Ruby runner's own.
    def self.load(files = [KNOWN_FAILURES, RUBY_KNOWN_FAILURES])
      known = new
      files.each { |file| known.read(file) }
      known
    end

    def initialize
      @categories = {}
      @fixtures = {}
    end

    def read(file)
      return unless File.exist?(file)

      data = Json.obj(Json.parse(File.binread(file)))
      { "categories" => categories, "fixtures" => fixtures }.each do |key, target|
        (Json.obj(Json.get(data, key)) || {}).each do |name, reason|
          raise "#{file}: #{key}.#{name}: the reason must be a string" unless reason.is_a?(String)

          target[name] = reason
        end
      end
    end

    # Why a fixture is expected to fail, if listed (a fixture entry wins over its category).
    def reason(id, category)
      fixtures[id] || categories[category]
    end
  end

  # A fixture's result: passed, or the problems found.
  Outcome = Struct.new(:passed, :problems)

  # A run's counts, overall and per category; `add` prints a line per failure.
  class Tally
    attr_reader :passed, :failed, :skipped, :by_category

    def initialize
      @passed = 0
      @failed = 0
      @skipped = 0
      @by_category = {}
    end

    def skip(f)
      count(f.category, :skipped)
    end

    # Count one fixture's outcome by the known-failure rules: a listed fixture that fails is
    # skipped, one that passes fails the run (the list is stale); a fixture of a listed
    # category may pass.
    def add(f, outcome, known)
      reason = known.reason(f.id, f.category)
      if outcome.passed
        if reason.nil? || !known.fixtures.key?(f.id)
          count(f.category, :passed)
        else
          count(f.category, :failed)
          puts "FAIL #{f.id}: listed as a known failure (#{reason}) but passes; remove it from e2e/known_failures.json"
        end
      elsif reason
        count(f.category, :skipped)
        puts "known #{f.id}: #{reason}"
      else
        count(f.category, :failed)
        outcome.problems.each { |p| puts "FAIL #{f.id}: #{p}" }
      end
    end

    # One line per category: `category: P passed, F failed, S skipped`.
    def categories
      by_category.sort.map { |c, n| "  #{c}: #{n[:passed]} passed, #{n[:failed]} failed, #{n[:skipped]} skipped" }
    end

    # The summary line.
    def summary
      "#{passed} passed, #{failed} failed, #{skipped} skipped"
    end

    private

    def count(category, what)
      case what
      when :passed then @passed += 1
      when :failed then @failed += 1
      else @skipped += 1
      end
      (by_category[category] ||= { passed: 0, failed: 0, skipped: 0 })[what] += 1
    end
  end
end
