# frozen_string_literal: true

# Sinatra peer on Puma: Sinatra routing, hand validation.
require 'json'
require 'sinatra/base'
require_relative 'validate'

class SinatraPeer < Sinatra::Base
  set :environment, :production
  disable :logging, :show_exceptions, :dump_errors, :protection

  get '/json' do
    content_type :json
    JSON.generate({ message: 'hello', id: 1, ok: true })
  end

  post '/items/:id' do
    content_type :json
    code, body = Validate.create_item(params['id'], params['limit'], request.body.read)
    status code
    JSON.generate(body)
  end
end

run SinatraPeer
