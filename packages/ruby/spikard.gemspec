# frozen_string_literal: true

# For machines with RubyGems: `gem build spikard.gemspec` packages the Ruby sources; the
# extension is built from crates/spikard-rb with cargo (rb-sys), as `./task build:ruby`
# does here, and installed as lib/spikard/spikard_rb.so.
Gem::Specification.new do |spec|
  spec.name = "spikard"
  spec.version = "0.1.0"
  spec.summary = "Spikard for Ruby: a Rust HTTP core with Sinatra-style blocks"
  spec.description = "Routing, JSON Schema validation, RFC 9457 problems, middleware, dependency " \
                     "injection, streaming, SSE and WebSockets in Rust; handlers in Ruby."
  spec.authors = ["Spikard"]
  spec.license = "MIT"
  spec.required_ruby_version = ">= 3.1"
  spec.files = Dir["lib/**/*.rb", "bin/*", "README.md"]
  spec.bindir = "bin"
  spec.executables = Dir["bin/*"].map { |f| File.basename(f) }
  spec.require_paths = ["lib"]
  spec.extensions = []
  spec.metadata["rubygems_mfa_required"] = "true"
end
