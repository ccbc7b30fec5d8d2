// How each entry of the source appears in the mount: the rules that make a compressed model
// folder look like the folder `znn decompress` would restore. No FUSE here.
//
// - X.znn (a file, or a link to one, holding a valid .znn frame) appears as X, with X's size
//   and the .znn file's other attributes; when the folder also has a real X, that one wins
//   and X.znn appears as it is.
// - In a Hugging Face cache's blobs/ folder, blobs are named by hashes, so a blob holding a
//   .znn frame keeps its name and shows its decoded content; snapshot links keep their
//   targets (X.znn -> ../../blobs/<hash> appears as X -> ../../blobs/<hash>).
// - An index file (*.index.json, or a JSON blob) whose weight map names X.znn files appears
//   naming X instead; nothing else in its text changes.
// - Links keep their targets, except that a final component X.znn naming a .znn file becomes X.
// - Everything else appears unchanged; sockets, FIFOs and devices do not appear.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace znn::mount {

enum class EntryKind { directory, plain_file, znn_file, index_file, symlink };

struct Entry {
    std::string name;    // as shown
    std::string source;  // absolute path in the source
    EntryKind kind = EntryKind::plain_file;
    struct stat st {};        // as shown: sizes of decoded files, links and rewritten indexes
    std::string link_target;  // symlink: as shown
    std::shared_ptr<const std::string> text;  // index_file: the rewritten content
};

// The entries of a source folder as the mount shows them, sorted by name, leaving out the
// path `skip` (the mountpoint, when it lies inside the source). Entries that vanish or
// cannot be read while listing are left out. Throws IoError if the folder cannot be listed.
std::vector<Entry> list_source_folder(const std::string& folder, const std::string& skip);

// A single file given as the source, as it appears in the mount's root folder: path is
// where it really is, name what the user called it (a link's name, not its target's).
// Throws IoError.
Entry describe_source_file(const std::string& path, const std::string& name);

// The content size of a file holding one or more valid .znn frames (magic, footers and seek
// tables checked), or nothing. Never throws.
std::optional<std::uint64_t> znn_content_size(const std::string& path) noexcept;

}  // namespace znn::mount
