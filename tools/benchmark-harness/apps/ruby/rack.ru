# frozen_string_literal: true

# Raw Rack peer on Puma: routing and validation by hand.
require 'json'
require 'rack'
require_relative 'validate'

GET_BODY = JSON.generate({ message: 'hello', id: 1, ok: true })
ITEM_PATH = %r{\A/items/([^/]+)\z}

run(lambda do |env|
  method = env['REQUEST_METHOD']
  path = env['PATH_INFO']
  if method == 'GET' && path == '/json'
    [200, { 'content-type' => 'application/json' }, [GET_BODY]]
  elsif method == 'POST' && (m = ITEM_PATH.match(path))
    limit = Rack::Utils.parse_query(env['QUERY_STRING'])['limit']
    status, body = Validate.create_item(m[1], limit, env['rack.input'].read)
    [status, { 'content-type' => 'application/json' }, [JSON.generate(body)]]
  else
    [404, { 'content-type' => 'text/plain' }, ['not found']]
  end
end)
