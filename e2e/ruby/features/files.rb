# frozen_string_literal: true

# Fixtures with a `file_response` section (mirrors `e2e/python/features/files.py`): the
# handler answers with a `Spikard::FileResponse` of a temporary file holding `content`,
# named `filename`, `inline` or a download, with `media_type` when given; `missing: true`
# names a file that does not exist.

require "tmpdir"
require_relative "../json"
require_relative "../spikard"

module E2E
  module Features
    module Files
      DIR = File.join(Dir.tmpdir, "spikard-e2e-files-rb-#{Process.pid}")

      module_function

      # The handler of a `file_response` fixture; nil otherwise.
      def build(f)
        section = Json.obj(f.data["file_response"])
        return nil if section.nil?

        path = File.join(DIR, f.id.gsub(/[^A-Za-z0-9]/, "_"))
        unless section["missing"] == true
          Dir.mkdir(DIR) unless Dir.exist?(DIR)
          File.binwrite(path, Json.str(section["content"]) || "")
        end
        options = { filename: Json.str(section["filename"]), content_type: Json.str(section["media_type"]),
                    disposition: section["inline"] == true ? :inline : :attachment }
        proc { |_req| Spikard::FileResponse.new(path, **options) }
      end
    end
  end
end
