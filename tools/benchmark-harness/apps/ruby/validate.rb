# frozen_string_literal: true

require 'json'
require 'date'

# Hand validation shared by the Rack and Sinatra peers (neither validates by itself).
# Every function returns the typed value or raises Validate::Invalid (answered with 422).
module Validate
  class Invalid < StandardError; end

  INT = /\A-?\d+\z/
  UUID = /\A\h{8}-\h{4}-\h{4}-\h{4}-\h{12}\z/
  DATE = /\A\d{4}-\d{2}-\d{2}\z/
  QUERY_FEW = [%w[q str], %w[page int], %w[active bool]].freeze
  QUERY_MANY = [
    %w[q str], %w[sort str], %w[order str], %w[category str], %w[brand str], %w[color str],
    %w[page int], %w[per_page int], %w[min_price int], %w[max_price int], %w[in_stock bool], %w[featured bool]
  ].freeze

  module_function

  def to_int(raw, name = 'value')
    raise Invalid, "#{name} must be an integer" unless raw.is_a?(String) && INT.match?(raw)

    Integer(raw, 10)
  end

  def to_bool(raw, name = 'value')
    return true if raw == 'true'
    return false if raw == 'false'

    raise Invalid, "#{name} must be a boolean"
  end

  def to_uuid(raw)
    raise Invalid, 'id must be a UUID' unless raw.is_a?(String) && UUID.match?(raw)

    raw.downcase
  end

  def to_date(raw)
    raise Invalid, 'date must be YYYY-MM-DD' unless raw.is_a?(String) && DATE.match?(raw)

    Date.iso8601(raw).iso8601
  rescue Date::Error
    raise Invalid, 'date must be a real calendar day'
  end

  def typed(params, spec)
    spec.to_h do |name, kind|
      raw = params[name]
      raise Invalid, "#{name} is required" if raw.nil?

      [name, case kind
             when 'int' then to_int(raw, name)
             when 'bool' then to_bool(raw, name)
             else raw
             end]
    end
  end

  def parse_json(raw)
    JSON.parse(raw)
  rescue JSON::ParserError
    raise Invalid, 'invalid JSON'
  end

  def strings?(value)
    value.is_a?(Array) && value.all? { |t| t.is_a?(String) }
  end

  def order(data)
    raise Invalid, 'body must be an object' unless data.is_a?(Hash)
    raise Invalid, 'id must be an integer' unless data['id'].is_a?(Integer)
    raise Invalid, 'customer must be a non-empty string' unless data['customer'].is_a?(String) && !data['customer'].empty?
    raise Invalid, 'items must be a list' unless data['items'].is_a?(Array)

    data['items'].each do |item|
      raise Invalid, 'item must be an object' unless item.is_a?(Hash)
      raise Invalid, 'sku must be a non-empty string' unless item['sku'].is_a?(String) && !item['sku'].empty?
      raise Invalid, 'quantity must be an integer >= 1' unless item['quantity'].is_a?(Integer) && item['quantity'] >= 1
      raise Invalid, 'price must be a number > 0' unless item['price'].is_a?(Numeric) && item['price'].positive?
      raise Invalid, 'tags must be a list of strings' unless strings?(item['tags'])
    end
    data
  end

  def item(raw_id, raw_limit, raw_body)
    id = to_int(raw_id, 'id')
    limit = to_int(raw_limit, 'limit')
    data = parse_json(raw_body)
    raise Invalid, 'body must be an object' unless data.is_a?(Hash)

    name, price, tags = data.values_at('name', 'price', 'tags')
    raise Invalid, 'name must be a non-empty string' unless name.is_a?(String) && !name.empty?
    raise Invalid, 'price must be a number > 0' unless price.is_a?(Numeric) && price.positive?
    raise Invalid, 'tags must be a list of strings' unless strings?(tags)

    { id: id, limit: limit, name: name, price: price, tags: tags }
  end

  def form(params)
    name = params['name']
    raise Invalid, 'name is required' unless name.is_a?(String) && !name.empty?

    price = Float(params['price'], exception: false)
    raise Invalid, 'price must be a number > 0' unless price&.positive?

    { name: name, price: price, quantity: to_int(params['quantity'], 'quantity') }
  end

  # params: Rack's parsed multipart form ({'file' => {filename:, tempfile:}, 'description' => ...}).
  def upload(params)
    file = params['file']
    description = params['description']
    unless file.is_a?(Hash) && file[:tempfile] && description.is_a?(String)
      raise Invalid, 'description and file are required'
    end

    { filename: file[:filename], size: file[:tempfile].size, description: description }
  end
end
