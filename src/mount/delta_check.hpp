// Files compressed against a base model, checked before anything is mounted: without the
// base (or with another one) every read of such a file would fail, and a mount that answers
// whole files with EIO is worse than one that does not start.
#pragma once

#include <memory>
#include <string>

#include "mount/view.hpp"
#include "znn/base.hpp"

namespace znn::mount {

// Walks the whole view (listing every folder, which the view keeps) and opens every file it
// shows decoded with `base` (null: none given). source: the real path the view shows;
// shown_source: that path as the user gave it, to name files in errors. Throws BaseError
// naming the first file that needs a base and has none, or has another one; IoError or
// FormatError when the base cannot be read.
void check_delta_files(View& view, const std::shared_ptr<const BaseModel>& base,
                       const std::string& source, const std::string& shown_source);

}  // namespace znn::mount
