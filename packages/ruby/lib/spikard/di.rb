# frozen_string_literal: true

module Spikard
  # A dependency made by a block: `Provide.new(lifetime: :per_request) { |other:| value }`.
  # The block's keyword parameters are the dependencies it depends on. A block that takes a
  # block (`{ |&use| conn = open; begin; use.call(conn); ensure conn.close; end }`) is
  # cleaned up after the response: `use.call` returns then, or raises the request's error.
  class Provide
    LIFETIMES = %i[per_use per_request singleton].freeze

    attr_reader :factory, :lifetime, :parameters, :body_schema

    def initialize(callable = nil, lifetime: :per_request, parameters: nil, body_schema: nil, &block)
      @factory = callable || block or raise ArgumentError, "Provide needs a block or a callable"
      @lifetime = lifetime.to_sym
      raise ArgumentError, "lifetime must be one of #{LIFETIMES.join(", ")}" unless LIFETIMES.include?(@lifetime)

      @parameters = parameters
      @body_schema = body_schema
    end

    # The dependencies the factory takes (its keyword parameters).
    def depends_on = Spikard.keywords(@factory)

    # Whether the factory takes a block: a dependency cleaned up after the response.
    def generator? = Spikard.signature(@factory).any? { |kind, _| kind == :block }
  end

  # A callable's parameters (`Proc#parameters`, or its `call` method's).
  def self.signature(callable)
    callable.respond_to?(:parameters) ? callable.parameters : callable.method(:call).parameters
  end

  # The keyword parameters of a callable, as Strings.
  def self.keywords(callable)
    signature(callable).filter_map { |kind, name| name.to_s if %i[key keyreq].include?(kind) }
  end

  # The JSON type a value stands for (checked against a route's `expected_types`).
  def self.json_type(value)
    case value
    when nil then "null"
    when true, false then "boolean"
    when Integer then "integer"
    when Float then "number"
    when String, Symbol then "string"
    when Array then "array"
    when Hash then "object"
    end
  end
end
