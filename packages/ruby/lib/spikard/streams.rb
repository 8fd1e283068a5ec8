# frozen_string_literal: true

module Spikard
  # A body sent as it is produced: each item of `content` (any Enumerable or Enumerator)
  # is a String chunk.
  class StreamingResponse
    attr_reader :content, :status, :headers

    def initialize(content, status: 200, headers: nil, content_type: nil)
      @content = content
      @status = Integer(status)
      @headers = Response.pairs(headers)
      @headers << ["content-type", content_type] if content_type
    end
  end

  # Server-sent events: each item of `content` is a Hash (`data`, `event`, `id`, `retry`,
  # `comment`) or the data of one event; a comment is sent after `keep_alive` seconds of
  # silence.
  class EventSourceResponse
    attr_reader :content, :status, :headers, :keep_alive

    def initialize(content, status: 200, headers: nil, keep_alive: nil)
      @content = content
      @status = Integer(status)
      @headers = Response.pairs(headers)
      @keep_alive = keep_alive&.to_f
    end
  end

  # What the core pulls a stream's items from, one at a time. An Array is read in place;
  # anything else is iterated on a thread of its own (an Enumerator's external iteration
  # cannot move between the pool's threads), which settles each pull itself.
  class Items
    def self.of(content)
      content.is_a?(Array) ? ArrayItems.new(content) : ThreadItems.new(content)
    end
  end

  # The items of an Array.
  class ArrayItems
    def initialize(items)
      @items = items
      @index = 0
    end

    # Yields the next item (or nothing at the end) to `settle`.
    def pull(&settle)
      if @index < @items.length
        @index += 1
        settle.call(true, @items[@index - 1])
      else
        settle.call(false, nil)
      end
    end

    def close; end
  end

  # The items of any Enumerable, produced on a thread of its own as they are pulled.
  class ThreadItems
    CLOSE = Object.new.freeze

    def initialize(content)
      @content = content
      @pulls = Queue.new
      @thread = nil
    end

    def pull(&settle)
      @thread ||= Thread.new { produce }
      @pulls << settle
    end

    def close
      @pulls << CLOSE
    end

    private

    # Each item waits for a pull; the pull after the last item gets the end (and the
    # thread ends); a close ends it at the next item.
    def produce
      settle = nil
      @content.each do |item|
        settle = @pulls.pop
        return if settle.equal?(CLOSE)

        settle.call(true, item)
        settle = nil
      end
      settle = @pulls.pop
      settle.call(false, nil) unless settle.equal?(CLOSE)
    rescue StandardError => e
      settle ||= @pulls.pop
      settle.call(:error, e) unless settle.equal?(CLOSE)
    end
  end
end
