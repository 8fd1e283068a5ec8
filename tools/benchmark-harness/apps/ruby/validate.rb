# frozen_string_literal: true

# Hand validation shared by the Rack and Sinatra peers: returns [status, body_hash].
module Validate
  INT = /\A-?\d+\z/

  def self.create_item(raw_id, raw_limit, raw_body)
    return [422, { error: 'id must be an integer' }] unless raw_id.is_a?(String) && INT.match?(raw_id)
    return [422, { error: 'limit must be an integer' }] unless raw_limit.is_a?(String) && INT.match?(raw_limit)

    data = begin
      JSON.parse(raw_body)
    rescue JSON::ParserError
      return [422, { error: 'invalid JSON' }]
    end
    return [422, { error: 'body must be an object' }] unless data.is_a?(Hash)

    name, price, tags = data.values_at('name', 'price', 'tags')
    return [422, { error: 'name must be a non-empty string' }] unless name.is_a?(String) && !name.empty?
    return [422, { error: 'price must be a number > 0' }] unless price.is_a?(Numeric) && price.positive?
    unless tags.is_a?(Array) && tags.all? { |t| t.is_a?(String) }
      return [422, { error: 'tags must be a list of strings' }]
    end

    [200, { id: Integer(raw_id, 10), limit: Integer(raw_limit, 10), name: name, price: price, tags: tags }]
  end
end
