# frozen_string_literal: true

require_relative "test_helper"
require "net/http"
require "socket"
require "rbconfig"

# `run(workers: 2)`: the script runs again in each worker, the workers share the port, and
# the supervising process stops them all on SIGTERM.
class WorkersTest < Minitest::Test
  LIB = File.expand_path("../lib", __dir__)

  def free_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end

  # The body of GET / on a new connection, or nil when nothing answers.
  def pid_at(port)
    Net::HTTP.start("127.0.0.1", port, open_timeout: 2, read_timeout: 5) { |http| http.get("/").body }
  rescue SystemCallError, Net::OpenTimeout, Net::ReadTimeout, EOFError
    nil
  end

  def test_workers_share_the_port_and_stop_with_their_supervisor
    port = free_port
    script = <<~RUBY
      require "spikard"
      app = Spikard::App.new
      app.get("/") { Process.pid.to_s }
      app.run(host: "127.0.0.1", port: #{port}, workers: 2)
    RUBY
    parent = Process.spawn(RbConfig.ruby, "-I#{LIB}", "-e", script, err: File::NULL, out: File::NULL)
    pids = []
    400.times do
      break if pids.uniq.size == 2

      pid = pid_at(port)
      pid ? pids << pid : sleep(0.025)
    end
    assert_equal 2, pids.uniq.size, "two workers answer: #{pids.uniq.inspect}"
    refute_includes pids, parent.to_s, "the supervisor does not serve"
    Process.kill("TERM", parent)
    status = Timeout.timeout(20) { Process.wait2(parent)[1] }
    assert status.exited? || status.signaled?, status.inspect
    assert_nil pid_at(port), "a worker is still listening"
  ensure
    if parent
      begin
        Process.kill("KILL", parent)
        Process.wait(parent)
      rescue SystemCallError
        nil
      end
    end
  end
end
