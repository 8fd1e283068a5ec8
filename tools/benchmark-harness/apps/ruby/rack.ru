# frozen_string_literal: true

# Raw Rack peer on Puma: routing by hand, Rack::Request for query/form/multipart parsing,
# validation by hand (validate.rb).
require 'json'
require 'rack'
require_relative 'validate'

JSON_TYPE = { 'content-type' => 'application/json' }.freeze
GET_BODY = JSON.generate({ message: 'hello', id: 1, ok: true })
SLEPT = JSON.generate({ slept: true })
ITEM_PATH = %r{\A/items/([^/]+)\z}
PATH_ROUTE = %r{\A/path/(one|several|int|uuid|date)/(.+)\z}

def path_route(kind, rest)
  args = rest.split('/')
  case [kind, args.length]
  when ['one', 1] then { name: args[0] }
  when ['several', 3] then { org: args[0], repo: args[1], branch: args[2] }
  when ['int', 1] then { id: Validate.to_int(args[0], 'id') }
  when ['uuid', 1] then { id: Validate.to_uuid(args[0]) }
  when ['date', 1] then { date: Validate.to_date(args[0]) }
  end
end

def route(env)
  method = env['REQUEST_METHOD']
  path = env['PATH_INFO']
  req = Rack::Request.new(env)
  if method == 'GET'
    return path_route(Regexp.last_match(1), Regexp.last_match(2)) if PATH_ROUTE.match(path)
    return Validate.typed(req.GET, Validate::QUERY_FEW) if path == '/query/few'
    return Validate.typed(req.GET, Validate::QUERY_MANY) if path == '/query/many'
  elsif method == 'POST'
    return Validate.order(Validate.parse_json(req.body.read)) if path == '/echo/validated'
    return Validate.parse_json(req.body.read) if path == '/echo/raw'
    return Validate.form(req.POST) if path == '/form'
    return Validate.upload(req.POST) if path == '/upload'
    return Validate.item(Regexp.last_match(1), req.GET['limit'], req.body.read) if ITEM_PATH.match(path)
  end
  nil
end

run(lambda do |env|
  if env['REQUEST_METHOD'] == 'GET' && env['PATH_INFO'] == '/plaintext'
    next [200, { 'content-type' => 'text/plain; charset=utf-8' }, ['Hello, World!']]
  end
  next [200, JSON_TYPE, [GET_BODY]] if env['REQUEST_METHOD'] == 'GET' && env['PATH_INFO'] == '/json'
  if env['REQUEST_METHOD'] == 'GET' && env['PATH_INFO'] == '/sleep'
    sleep 0.005 # a blocking call
    next [200, JSON_TYPE, [SLEPT]]
  end

  begin
    out = route(env)
    out.nil? ? [404, { 'content-type' => 'text/plain' }, ['not found']] : [200, JSON_TYPE, [JSON.generate(out)]]
  rescue Validate::Invalid => e
    [422, JSON_TYPE, [JSON.generate({ error: e.message })]]
  end
end)
