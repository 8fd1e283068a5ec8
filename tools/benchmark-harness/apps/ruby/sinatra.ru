# frozen_string_literal: true

# Sinatra peer on Puma: Sinatra routing and params (query, form, multipart), validation by
# hand (validate.rb).
require 'json'
require 'sinatra/base'
require_relative 'validate'

class SinatraPeer < Sinatra::Base
  set :environment, :production
  disable :logging, :show_exceptions, :dump_errors, :protection

  error Validate::Invalid do
    status 422
    content_type :json
    JSON.generate({ error: env['sinatra.error'].message })
  end

  helpers do
    def json(value)
      content_type :json
      JSON.generate(value)
    end
  end

  get('/plaintext') do
    content_type 'text/plain; charset=utf-8'
    'Hello, World!'
  end
  get('/json') { json({ message: 'hello', id: 1, ok: true }) }
  get('/sleep') do
    sleep 0.005 # a blocking call
    json({ slept: true })
  end
  post('/echo/validated') { json(Validate.order(Validate.parse_json(request.body.read))) }
  post('/echo/raw') { json(Validate.parse_json(request.body.read)) }
  get('/path/one/:name') { json({ name: params['name'] }) }
  get('/path/several/:org/:repo/:branch') { json({ org: params['org'], repo: params['repo'], branch: params['branch'] }) }
  get('/path/int/:id') { json({ id: Validate.to_int(params['id'], 'id') }) }
  get('/path/uuid/:id') { json({ id: Validate.to_uuid(params['id']) }) }
  get('/path/date/:day') { json({ date: Validate.to_date(params['day']) }) }
  get('/query/few') { json(Validate.typed(params, Validate::QUERY_FEW)) }
  get('/query/many') { json(Validate.typed(params, Validate::QUERY_MANY)) }
  post('/form') { json(Validate.form(params)) }
  post('/upload') { json(Validate.upload(params)) }
  post('/items/:id') { json(Validate.item(params['id'], params['limit'], request.body.read)) }
end

run SinatraPeer
