# frozen_string_literal: true

require_relative "test_helper"

# The mirrored config structs have exactly the core's fields (spikard_core::config::defaults).
class ConfigTest < Minitest::Test
  def test_structs_mirror_the_core_field_for_field
    defaults = JSON.parse(Spikard::Native.default_configs)
    assert_equal defaults.keys.sort, Spikard::Config::STRUCTS.keys.sort
    defaults.each do |name, fields|
      assert_equal fields.keys.sort, Spikard::Config::STRUCTS.fetch(name).members.map(&:to_s).sort, name
    end
  end

  def test_structs_and_hashes_configure_the_app
    cors = Spikard::Config::CorsConfig.new(allowed_origins: ["https://a.example"])
    app = Spikard::App.new(Spikard::Config::ServerConfig.new(max_body_size: 1234, cors: cors),
                           request_timeout: { seconds: 3 })
    assert_equal 1234, app.config["max_body_size"]
    assert_equal ["https://a.example"], app.config["cors"]["allowed_origins"]
    assert_equal 3, app.config["request_timeout"]["seconds"]
  end

  def test_a_bad_setting_is_a_config_error_naming_it
    error = assert_raises(Spikard::ConfigError) { Spikard::App.new(max_body_size: "lots") }
    assert_match(/ServerConfig/, error.message)
    assert_equal "invalid-config", error.code
  end
end
