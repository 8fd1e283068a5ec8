# frozen_string_literal: true

require_relative "test_helper"

# Ruby code runs only on threads Ruby created (the app's pool, and the threads the package
# starts for streams and cleaned-up dependencies), and the Rust side waits without the GVL,
# so blocking handlers run side by side.
class GvlTest < Minitest::Test
  def setup
    @app = Spikard::App.new
    @seen = Queue.new
  end

  def record(what)
    @seen << [what, Thread.current]
  end

  def test_every_call_runs_on_a_thread_ruby_created
    @app.provide :db, Spikard::Provide.new { |&use| record(:dependency); use.call(1) }
    @app.on_request { |_req| record(:hook) }
    @app.on_response { |_res| record(:response_hook) }
    task_ran = Queue.new
    @app.get("/") do |req, db:|
      record(:handler)
      req.add_task { record(:task); task_ran << true }
      { db: db }
    end
    @app.get("/stream") { Spikard::StreamingResponse.new(Enumerator.new { |y| record(:stream); y << "x" }) }
    @app.websocket("/ws") { |ws| ws.on_message { |m| record(:message); ws.send_text(m) } }
    client = Spikard::TestClient.new(@app, threads: 2)
    assert_equal 200, client.get("/").status
    assert_equal "x", client.get("/stream").body
    ws = client.websocket("/ws")
    ws.send_text("hi")
    assert_equal "hi", ws.receive_text
    ws.close
    assert pop_within(task_ran), "the background task did not run"
    calls = []
    calls << @seen.pop until @seen.empty?
    assert_equal %i[dependency handler hook message response_hook stream task], calls.map(&:first).uniq.sort
    pool = @app.dispatcher.threads
    calls.each do |what, thread|
      refute_equal Thread.current, thread, what
      # A handler, hook, task or message runs on the pool; a stream and a cleaned-up
      # dependency on the Ruby thread the package started for it.
      assert(pool.include?(thread) || %i[stream dependency].include?(what), "#{what} ran on #{thread.inspect}")
    end
  end

  def test_blocking_handlers_run_side_by_side_and_others_are_answered
    arrived = Queue.new
    release = Queue.new
    @app.get("/block") do
      arrived << 1
      pop_within(release) ? "released" : "timed out"
    end
    @app.get("/fast") { "fast" }
    client = Spikard::TestClient.new(@app, threads: 6)
    blocked = Array.new(4) { Thread.new { client.get("/block").body } }
    4.times { assert pop_within(arrived), "the four handlers did not all start" }
    # All four handlers are blocked at once, and another request is still answered.
    assert_equal "fast", client.get("/fast").body
    4.times { release << true }
    assert_equal ["released"] * 4, blocked.map(&:value)
  end
end
